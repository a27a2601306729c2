//! AstDB (Asterisk's `main/db.c`): the family/key store kept in
//! `<astdbdir>/astdb.sqlite3`, in the same table layout Asterisk uses, so a
//! site's existing database (call forwards, DND, blacklists, device
//! states) is read unchanged and Asterisk can read ours back.
//!
//! Keys are stored as `/family/key`. Tree queries use SQL `LIKE`, as
//! Asterisk's do, so `%`/`_` in a family and ASCII case behave the same.
//!
//! Every write is its own committed transaction before the call returns,
//! so a crash never loses an acknowledged write (Asterisk commits up to a
//! second later). rusqlite rather than sqlx: the store is used from the
//! synchronous dialplan function interface, and each statement takes
//! microseconds; an async pool would add a runtime hop per lookup and
//! nothing else.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, ToSql, params};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("Unable to open Asterisk database '{path}': {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
    #[error("Key tree '{0}' specified without family")]
    TreeWithoutFamily(String),
    #[error("AstDB key {0} does not exist")]
    NoSuchKey(String),
}

/// One row of a tree query: the full key (`/family/key`) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
}

/// The result of `database query`: each row as (column, value) pairs.
pub type QueryRows = Vec<Vec<(String, String)>>;

pub struct AstDb {
    conn: Mutex<Connection>,
    path: PathBuf,
}

const CREATE: &str = "CREATE TABLE IF NOT EXISTS astdb(key TEXT, value TEXT, PRIMARY KEY(key))";
/// `key/` starts with `prefix/`: the tree rooted at `prefix`, itself included.
const TREE_CONDITION: &str = "key || '/' LIKE ?1 || '/' || '%'";

impl AstDb {
    /// Opens (creating if needed) `<db>.sqlite3`, `db` being asterisk.conf's
    /// `astdbdir` joined with `astdb`.
    pub fn open(db: &Path) -> Result<AstDb, DbError> {
        let mut name = db.as_os_str().to_owned();
        name.push(".sqlite3");
        let path = PathBuf::from(name);
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            // A missing directory would only turn into a less clear
            // SQLite error below.
            let _ = std::fs::create_dir_all(parent);
        }
        let open_err = |source| DbError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(open_err)?;
        conn.execute(CREATE, []).map_err(open_err)?;
        Ok(AstDb {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// An in-memory store (tests, and `-X`-less tools that need no disk).
    pub fn in_memory() -> Result<AstDb, DbError> {
        let conn = Connection::open_in_memory()?;
        conn.execute(CREATE, [])?;
        Ok(AstDb {
            conn: Mutex::new(conn),
            path: PathBuf::from(":memory:"),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, DbError> {
        let conn = crate::core::lock(&self.conn);
        // A write may wait on the disk; let the runtime move other tasks
        // off this worker meanwhile.
        let run = || f(&conn).map_err(DbError::from);
        crate::core::blocking(run)
    }

    fn full_key(family: &str, key: &str) -> String {
        format!("/{family}/{key}")
    }

    /// `/family/keytree`, `/family`, or empty for the whole database.
    fn prefix(family: &str, keytree: &str) -> String {
        match (family.is_empty(), keytree.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!("/{family}"),
            (false, false) => format!("/{family}/{keytree}"),
        }
    }

    pub fn put(&self, family: &str, key: &str, value: &str) -> Result<(), DbError> {
        let full = Self::full_key(family, key);
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO astdb (key, value) VALUES (?1, ?2)",
                params![raw_text(&full), raw_text(value)],
            )
            .map(|_| ())
        })
    }

    pub fn get(&self, family: &str, key: &str) -> Result<Option<String>, DbError> {
        let full = Self::full_key(family, key);
        self.with(|c| {
            c.query_row(
                "SELECT value FROM astdb WHERE key = ?1",
                params![raw_text(&full)],
                |r| read_text(r, 0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// Deletes a key; deleting a missing key is not an error (`ast_db_del`).
    pub fn del(&self, family: &str, key: &str) -> Result<(), DbError> {
        let full = Self::full_key(family, key);
        self.with(|c| {
            c.execute("DELETE FROM astdb WHERE key = ?1", params![raw_text(&full)])
                .map(|_| ())
        })
    }

    /// Deletes a key that must exist (`ast_db_del2`, used by the CLI).
    pub fn del_existing(&self, family: &str, key: &str) -> Result<(), DbError> {
        if self.get(family, key)?.is_none() {
            return Err(DbError::NoSuchKey(Self::full_key(family, key)));
        }
        self.del(family, key)
    }

    /// Deletes a family, a key tree in it, or (both empty) everything;
    /// returns how many keys went.
    pub fn deltree(&self, family: &str, keytree: &str) -> Result<usize, DbError> {
        if family.is_empty() && !keytree.is_empty() {
            return Err(DbError::TreeWithoutFamily(keytree.to_string()));
        }
        let prefix = Self::prefix(family, keytree);
        self.with(|c| {
            if prefix.is_empty() {
                c.execute("DELETE FROM astdb", [])
            } else {
                c.execute(
                    &format!("DELETE FROM astdb WHERE {TREE_CONDITION}"),
                    params![raw_text(&prefix)],
                )
            }
        })
    }

    /// Every entry under a family (and key tree), ordered by key.
    pub fn gettree(&self, family: &str, keytree: &str) -> Result<Vec<Entry>, DbError> {
        let prefix = Self::prefix(family, keytree);
        self.with(|c| {
            if prefix.is_empty() {
                rows(c, "SELECT key, value FROM astdb ORDER BY key", &[])
            } else {
                rows(
                    c,
                    &format!("SELECT key, value FROM astdb WHERE {TREE_CONDITION} ORDER BY key"),
                    &[&raw_text(&prefix)],
                )
            }
        })
    }

    /// Entries whose key ends in `/<key>`, in any family (`database showkey`).
    pub fn showkey(&self, key: &str) -> Result<Vec<Entry>, DbError> {
        self.with(|c| {
            rows(
                c,
                "SELECT key, value FROM astdb WHERE key LIKE '%' || '/' || ?1 ORDER BY key",
                &[&raw_text(key)],
            )
        })
    }

    /// Runs an administrator's SQL (`database query`): every row of every
    /// statement, with column names.
    pub fn query(&self, sql: &str) -> Result<QueryRows, DbError> {
        self.with(|c| {
            let mut out = Vec::new();
            let mut rest = sql;
            while !rest.trim().is_empty() {
                let (first, tail) = split_statement(rest);
                rest = tail;
                if first.trim().is_empty() {
                    continue;
                }
                let mut stmt = c.prepare(first)?;
                let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    let mut cols = Vec::with_capacity(names.len());
                    for (i, n) in names.iter().enumerate() {
                        let v = read_text(row, i)?.unwrap_or_else(|| "(null)".into());
                        cols.push((n.clone(), v));
                    }
                    out.push(cols);
                }
            }
            Ok(out)
        })
    }
}

fn rows(c: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<Vec<Entry>> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut out = Vec::new();
    let mut q = stmt.query(args)?;
    while let Some(row) = q.next()? {
        let key = read_text(row, 0)?;
        let value = read_text(row, 1)?;
        // Asterisk stops at the first row without text.
        let (Some(key), Some(value)) = (key, value) else {
            break;
        };
        out.push(Entry { key, value });
    }
    Ok(out)
}

/// The first statement of `sql` and the rest (rusqlite compiles one
/// statement at a time): split at the first `;` outside quotes.
fn split_statement(sql: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    for (i, ch) in sql.char_indices() {
        match (quote, ch) {
            (None, '\'' | '"' | '`') => quote = Some(ch),
            (Some(q), c) if c == q => quote = None,
            (None, ';') => return (&sql[..i], &sql[i + 1..]),
            _ => {}
        }
    }
    (sql, "")
}

/// A string bound as SQLite TEXT with the very bytes Asterisk binds
/// (`sqlite3_bind_text`), UTF-8 or not, so keys compare as in Asterisk's
/// database and its file reads back the same under either.
struct RawText<'a>(std::borrow::Cow<'a, [u8]>);

impl ToSql for RawText<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(&self.0)))
    }
}

fn raw_text(s: &str) -> RawText<'_> {
    RawText(crate::core::raw::encode(s))
}

/// A column as `sqlite3_column_text` gives it: any bytes, NULL as none.
fn read_text(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    Ok(match row.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(crate::core::raw::decode(b).into_owned()),
        ValueRef::Integer(n) => Some(n.to_string()),
        // SQLite's own text for a REAL keeps a ".0" on whole numbers.
        ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{f:.1}")),
        ValueRef::Real(f) => Some(f.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_del_and_trees() {
        let db = AstDb::in_memory().expect("db");
        db.put("cfwd", "100", "200").expect("put");
        db.put("cfwd", "101", "201").expect("put");
        db.put("cfwd/sub", "x", "1").expect("put");
        db.put("cfwdx", "1", "other").expect("put");
        assert_eq!(db.get("cfwd", "100").expect("get").as_deref(), Some("200"));
        assert_eq!(db.get("CFWD", "100").expect("get"), None, "keys are exact");
        let keys: Vec<String> = db
            .gettree("cfwd", "")
            .expect("tree")
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(keys, ["/cfwd/100", "/cfwd/101", "/cfwd/sub/x"]);
        // LIKE is case-insensitive, as in Asterisk.
        assert_eq!(db.gettree("CFWD", "").expect("tree").len(), 3);
        assert_eq!(db.showkey("100").expect("showkey").len(), 1);
        assert!(matches!(
            db.del_existing("cfwd", "nope"),
            Err(DbError::NoSuchKey(k)) if k == "/cfwd/nope"
        ));
        db.del("cfwd", "nope")
            .expect("deleting a missing key is fine");
        assert_eq!(db.deltree("cfwd", "").expect("deltree"), 3);
        assert_eq!(db.gettree("", "").expect("all").len(), 1);
        assert!(matches!(
            db.deltree("", "x"),
            Err(DbError::TreeWithoutFamily(_))
        ));
    }

    #[test]
    fn writes_are_on_disk_when_put_returns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().join("lib/astdb");
        let db = AstDb::open(&base).expect("open");
        db.put("dnd", "100", "YES").expect("put");
        // A second connection sees it at once: nothing waits in a buffer.
        let other = Connection::open(dir.path().join("lib/astdb.sqlite3")).expect("open");
        let v: String = other
            .query_row("SELECT value FROM astdb WHERE key='/dnd/100'", [], |r| {
                r.get(0)
            })
            .expect("row");
        assert_eq!(v, "YES");
    }

    #[test]
    fn query_runs_each_statement() {
        let db = AstDb::in_memory().expect("db");
        db.put("a", "b", "c").expect("put");
        let rows = db
            .query("select key, value from astdb; select count(*) as n from astdb")
            .expect("query");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1], [("n".to_string(), "1".to_string())]);
        assert!(db.query("select nonsense from").is_err());
    }
}
