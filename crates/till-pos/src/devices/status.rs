//! Which devices are on the counter right now: per role connected, disconnected or not
//! configured, as the cashier's status lights show it.
//!
//! The model is fed the devices present (from the hot-plug monitor, which re-enumerates every
//! two seconds, or from the installer's device list) and tells the caller when a configured
//! card reader has to be opened again: after it came back, after its address changed, or after
//! an earlier open failed. Simulators are in-process, so they are always present.

use crate::ipc::devices::{DeviceLight, LinkState};
use till_devices::transport::discovery::DiscoveredDevice;
use till_devices::DeviceAddress;

/// Whether the configured address `configured` names the discovered device at `found`: same
/// scheme and path, and the same USB serial number when the configured address names one.
/// Parameters like `baud=` or `driver=` do not count.
pub fn same_device(configured: &str, found: &str) -> bool {
    match (DeviceAddress::parse(configured), DeviceAddress::parse(found)) {
        (Ok(want), Ok(have)) => {
            have.scheme == want.scheme
                && have.path == want.path
                && want.param("serial").is_none_or(|s| have.param("serial") == Some(s))
        }
        _ => false,
    }
}

/// Whether the device at `uri` is among `present`. Simulators run inside the till, so they are
/// always present.
pub fn is_present(uri: &str, present: &[DiscoveredDevice]) -> bool {
    uri.starts_with("sim://") || present.iter().any(|d| same_device(uri, &d.uri))
}

/// What the caller must do after an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing changed that needs work.
    None,
    /// Open the device (again): it came back, its address changed or the last open failed.
    Open,
    /// The device went away.
    Vanished,
}

/// The state of one role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleStatus {
    uri: Option<String>,
    present: bool,
    open_error: Option<String>,
}

impl RoleStatus {
    /// Takes the role's address now (`None` when nothing is set up) and the devices present,
    /// and says what to do.
    pub fn update(&mut self, uri: Option<&str>, present: &[DiscoveredDevice]) -> Action {
        let Some(uri) = uri else {
            *self = RoleStatus::default();
            return Action::None;
        };
        let now_present = is_present(uri, present);
        let changed = self.uri.as_deref() != Some(uri);
        let was_present = self.present && !changed;
        self.uri = Some(uri.to_string());
        self.present = now_present;
        if changed {
            self.open_error = None;
        }
        match (was_present, now_present) {
            (_, true) if changed || !was_present || self.open_error.is_some() => Action::Open,
            (true, false) => Action::Vanished,
            _ => Action::None,
        }
    }

    /// Records how the last open went.
    pub fn opened(&mut self, result: Result<(), String>) {
        self.open_error = result.err();
    }

    /// The light for this role.
    pub fn light(&self) -> DeviceLight {
        let state = match (&self.uri, self.present, &self.open_error) {
            (None, _, _) => LinkState::NotConfigured,
            (Some(_), true, None) => LinkState::Connected,
            _ => LinkState::Disconnected,
        };
        let detail = match state {
            LinkState::Disconnected => {
                Some(self.open_error.clone().unwrap_or_else(|| "the device is not plugged in".to_string()))
            }
            _ => None,
        };
        DeviceLight { state, uri: self.uri.clone(), detail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_devices::transport::discovery::DeviceKind;

    fn hid(uri: &str) -> DiscoveredDevice {
        DiscoveredDevice {
            uri: uri.into(),
            kind: DeviceKind::Hid,
            vendor_id: Some(0x0801),
            product_id: Some(0x0002),
            serial: None,
            product: Some("USB Swipe Reader".into()),
            usage_page: Some(0xFF00),
            guessed_role: None,
            guessed_driver: None,
        }
    }

    #[test]
    fn matching_ignores_driver_and_baud_but_not_the_serial_number() {
        let here = [hid("hid://0801:0002?serial=B123"), hid("serial:///dev/ttyACM0")];
        assert!(is_present("hid://0801:0002?driver=magtek-hid", &here));
        assert!(is_present("hid://0801:0002?serial=B123&driver=magtek-hid", &here));
        assert!(!is_present("hid://0801:0002?serial=C999", &here));
        assert!(is_present("serial:///dev/ttyACM0?baud=9600", &here));
        assert!(!is_present("serial:///dev/ttyACM1", &here));
        assert!(is_present("sim://points-terminal", &[]));
        assert!(!is_present("not a uri", &here));
    }

    #[test]
    fn a_device_that_vanishes_is_disconnected_and_reopened_when_back() {
        let uri = "hid://0801:0002";
        let mut s = RoleStatus::default();
        assert_eq!(s.light().state, LinkState::NotConfigured);
        assert_eq!(s.update(Some(uri), &[hid(uri)]), Action::Open);
        s.opened(Ok(()));
        assert_eq!(s.light().state, LinkState::Connected);
        assert_eq!(s.update(Some(uri), &[hid(uri)]), Action::None);
        assert_eq!(s.update(Some(uri), &[]), Action::Vanished);
        assert_eq!(s.light().state, LinkState::Disconnected);
        assert_eq!(s.update(Some(uri), &[]), Action::None);
        assert_eq!(s.update(Some(uri), &[hid(uri)]), Action::Open);
        s.opened(Ok(()));
        assert_eq!(s.light().state, LinkState::Connected);
        assert_eq!(s.update(None, &[hid(uri)]), Action::None);
        assert_eq!(s.light().state, LinkState::NotConfigured);
    }

    #[test]
    fn a_failed_open_shows_why_and_is_retried() {
        let uri = "hid://0801:0002";
        let mut s = RoleStatus::default();
        assert_eq!(s.update(Some(uri), &[hid(uri)]), Action::Open);
        s.opened(Err("permission denied".into()));
        let light = s.light();
        assert_eq!((light.state, light.detail.as_deref()), (LinkState::Disconnected, Some("permission denied")));
        assert_eq!(s.update(Some(uri), &[hid(uri)]), Action::Open);
        s.opened(Ok(()));
        assert_eq!(s.light().state, LinkState::Connected);
        // A new address is opened even while the old one was fine.
        assert_eq!(s.update(Some("sim://card-reader"), &[]), Action::Open);
    }
}
