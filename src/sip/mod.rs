//! A sans-IO SIP core (RFC 3261): message parsing and serialising, the
//! transaction layer with its timers, dialog state and digest
//! authentication.
//!
//! Nothing here opens a socket or reads the clock. The caller (a thin
//! tokio task owning the sockets) parses what it receives with
//! [`message::parse_datagram`] or [`message::parse_stream`], feeds it to
//! [`transaction::Transactions::handle`] with the current `Instant`, then
//! drains [`transaction::Transactions::poll`] for datagrams to send and
//! events for the TU, and sleeps until
//! [`transaction::Transactions::poll_timeout`]. Tests drive the same API with
//! a simulated clock, so every RFC timer is checked without sleeping.

pub mod auth;
pub mod dialog;
pub mod headers;
pub mod message;
pub mod sdp;
pub mod timer;
pub mod transaction;
pub mod uri;

pub use headers::{CSeq, NameAddr, Via};
pub use message::{Message, Method, Request, Response};
pub use uri::Uri;
