//! The HTTPS listener's certificate (`ast_ssl_setup` for a server): a
//! PEM certificate chain from `tlscertfile` and the private key from
//! `tlsprivatekey`, or from the certificate file when that is absent.

use std::io::BufReader;
use std::sync::Arc;

use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why the listener could not be set up: the line Asterisk logs, then
/// the library's reason.
#[derive(Debug)]
pub struct SetupError {
    pub message: String,
    pub detail: String,
}

fn cert_error(path: &str, detail: impl ToString) -> SetupError {
    SetupError {
        message: format!("TLS/SSL error loading cert file. <{path}>"),
        detail: detail.to_string(),
    }
}

fn key_error(path: &str, detail: impl ToString) -> SetupError {
    SetupError {
        message: format!("TLS/SSL error loading private key file. <{path}>"),
        detail: detail.to_string(),
    }
}

/// Reads the certificate chain and key and builds the server config.
pub fn server_config(
    certfile: &str,
    keyfile: Option<&str>,
) -> Result<Arc<ServerConfig>, SetupError> {
    let file = std::fs::File::open(certfile).map_err(|e| cert_error(certfile, e))?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut BufReader::new(file))
        .collect::<Result<_, _>>()
        .map_err(|e| cert_error(certfile, e))?;
    if certs.is_empty() {
        return Err(cert_error(certfile, "no certificate in the file"));
    }
    let keypath = keyfile.unwrap_or(certfile);
    let file = std::fs::File::open(keypath).map_err(|e| key_error(keypath, e))?;
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut BufReader::new(file))
        .map_err(|e| key_error(keypath, e))?
        .ok_or_else(|| key_error(keypath, "no private key in the file"))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| key_error(keypath, e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| key_error(keypath, e))?;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_bad_files_are_errors() {
        let e = server_config("/nonexistent/asterisk.pem", None).unwrap_err();
        assert_eq!(
            e.message,
            "TLS/SSL error loading cert file. </nonexistent/asterisk.pem>"
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("junk.pem");
        std::fs::write(&p, "not a certificate\n").unwrap();
        let path = p.to_str().unwrap();
        let e = server_config(path, None).unwrap_err();
        assert!(e.message.contains("cert file"), "{e:?}");
    }

    #[test]
    fn key_in_the_certificate_file_or_apart() {
        let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let both = dir.path().join("both.pem");
        std::fs::write(
            &both,
            format!("{}{}", ck.cert.pem(), ck.key_pair.serialize_pem()),
        )
        .unwrap();
        assert!(server_config(both.to_str().unwrap(), None).is_ok());
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, ck.cert.pem()).unwrap();
        std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
        assert!(server_config(cert.to_str().unwrap(), Some(key.to_str().unwrap())).is_ok());
        let e = server_config(cert.to_str().unwrap(), None).unwrap_err();
        assert!(e.message.contains("private key file"), "{e:?}");
    }
}
