//! Device and extension states (Asterisk's `devicestate.c` and the hint
//! aggregation in `pbx.c`).

use super::Loaded;

/// A device's state, as channel drivers report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceState {
    Unknown,
    NotInUse,
    InUse,
    Busy,
    Invalid,
    Unavailable,
    Ringing,
    RingInUse,
    OnHold,
}

impl DeviceState {
    /// The words `queue show` and `devstate` print.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Unknown => "Unknown",
            DeviceState::NotInUse => "Not in use",
            DeviceState::InUse => "In use",
            DeviceState::Busy => "Busy",
            DeviceState::Invalid => "Invalid",
            DeviceState::Unavailable => "Unavailable",
            DeviceState::Ringing => "Ringing",
            DeviceState::RingInUse => "Ring+Inuse",
            DeviceState::OnHold => "On Hold",
        }
    }
}

/// An extension's state: the aggregate of its hint's devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionState {
    Idle,
    InUse,
    Busy,
    Unavailable,
    Ringing,
    InUseRinging,
    Hold,
    InUseHold,
}

impl ExtensionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionState::Idle => "Idle",
            ExtensionState::InUse => "InUse",
            ExtensionState::Busy => "Busy",
            ExtensionState::Unavailable => "Unavailable",
            ExtensionState::Ringing => "Ringing",
            ExtensionState::InUseRinging => "InUse&Ringing",
            ExtensionState::Hold => "Hold",
            ExtensionState::InUseHold => "InUse&Hold",
        }
    }
}

/// The state of one device (`SIP/1000`, `PJSIP/1001`, `Custom:x`). No
/// call can be up yet, so a device is either reachable (not in use) or not.
pub fn device_state(loaded: &Loaded, device: &str) -> DeviceState {
    let (tech, resource) = device.split_once('/').unwrap_or((device, ""));
    let peer = resource.split('/').next().unwrap_or("");
    if tech.eq_ignore_ascii_case("SIP") {
        loaded.sip.device_state(peer)
    } else if tech.eq_ignore_ascii_case("PJSIP") {
        loaded.pjsip.device_state(peer)
    } else {
        DeviceState::Unknown
    }
}

/// Aggregates the devices of a hint (`SIP/1000&PJSIP/1001`) the way
/// `ast_devstate_aggregate` does, then maps to an extension state.
pub fn extension_state(loaded: &Loaded, hint: &str) -> ExtensionState {
    let devices: Vec<&str> = hint
        .split('&')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if devices.is_empty() {
        return ExtensionState::Unavailable;
    }
    let states: Vec<DeviceState> = devices.iter().map(|d| device_state(loaded, d)).collect();
    let any = |s: DeviceState| states.contains(&s);
    let all = |f: &dyn Fn(DeviceState) -> bool| states.iter().all(|s| f(*s));
    if any(DeviceState::RingInUse) || (any(DeviceState::Ringing) && any(DeviceState::InUse)) {
        ExtensionState::InUseRinging
    } else if any(DeviceState::Ringing) {
        ExtensionState::Ringing
    } else if any(DeviceState::Busy) {
        ExtensionState::Busy
    } else if any(DeviceState::InUse) {
        ExtensionState::InUse
    } else if any(DeviceState::OnHold) {
        ExtensionState::Hold
    } else if all(&|s| matches!(s, DeviceState::Unavailable | DeviceState::Invalid)) {
        ExtensionState::Unavailable
    } else {
        ExtensionState::Idle
    }
}
