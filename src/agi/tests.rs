//! Local-script AGI and the command set, on a channel with no driver.
