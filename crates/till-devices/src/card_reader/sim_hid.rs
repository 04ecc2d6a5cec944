//! A USB HID card reader that lives in the process: it implements [`HidLink`], so the real HID
//! driver runs against it, and answers swipes and faults sent through its [`SimControl`] with
//! byte-exact reports of the chosen protocol.

use super::protocol::ReaderProtocol;
use super::sim_control::{Fault, SimCommand, SimControl};
use super::sim_reports::{self, KsnCounter};
use crate::transport::HidLink;
use crate::DeviceError;
use rand::RngCore;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Length of MagTek's feature reports (device settings and commands).
const FEATURE_LEN: usize = 24;

/// The simulated HID reader.
pub struct SimulatedHidReader {
    protocol: ReaderProtocol,
    commands: Receiver<SimCommand>,
    rng: Box<dyn RngCore + Send>,
    ksn: KsnCounter,
    unplugged: bool,
    last_feature: Vec<u8>,
}

impl SimulatedHidReader {
    /// A reader speaking `protocol`, drawing its "ciphertext" from `rng`, and the handle that
    /// swipes cards through it.
    pub fn new(protocol: ReaderProtocol, rng: Box<dyn RngCore + Send>) -> (Self, SimControl) {
        let (control, commands) = SimControl::channel();
        let reader = SimulatedHidReader {
            protocol,
            commands,
            rng,
            ksn: KsnCounter::new(),
            unplugged: false,
            last_feature: vec![],
        };
        (reader, control)
    }

    fn gone(&self) -> DeviceError {
        DeviceError::Disconnected(format!("simulated {} reader", self.protocol.name()))
    }

    /// What the reader sends for `command`: a report, nothing, or (unplug) an error.
    fn answer(&mut self, command: SimCommand) -> Result<Option<Vec<u8>>, DeviceError> {
        match command {
            SimCommand::Swipe(card) => {
                let ksn = self.ksn.next_ksn();
                Ok(Some(sim_reports::report(self.protocol, card, self.rng.as_mut(), ksn)))
            }
            SimCommand::Fault(Fault::Unplug) => {
                self.unplugged = true;
                Err(self.gone())
            }
            // A damaged swipe is still a swipe: the reader has used up a KSN for it.
            SimCommand::Fault(fault) => {
                let ksn = self.ksn.next_ksn();
                Ok(sim_reports::faulty(self.protocol, fault, &super::test_cards::CATALOGUE[0], self.rng.as_mut(), ksn))
            }
        }
    }
}

impl HidLink for SimulatedHidReader {
    fn read_report(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, DeviceError> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.unplugged {
                return Err(self.gone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.commands.recv_timeout(left) {
                Ok(command) => {
                    if let Some(report) = self.answer(command)? {
                        // Like hidraw, a report longer than the buffer is cut to it.
                        let n = report.len().min(buf.len());
                        buf[..n].copy_from_slice(&report[..n]);
                        return Ok(n);
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Ok(0),
                // Nobody can swipe any more: the reader just stays quiet.
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(left);
                    return Ok(0);
                }
            }
        }
    }

    fn send_feature_report(&mut self, report: &[u8]) -> Result<(), DeviceError> {
        if self.unplugged {
            return Err(self.gone());
        }
        self.last_feature = report.to_vec();
        Ok(())
    }

    fn get_feature_report(&mut self, buf: &mut [u8]) -> Result<usize, DeviceError> {
        if self.unplugged {
            return Err(self.gone());
        }
        // MagTek answers a command with its report id, a result code (0 = success) and the
        // data length; the simulator accepts every command and returns no data.
        let n = FEATURE_LEN.min(buf.len());
        let id = buf.first().copied().unwrap_or(0);
        buf[..n].fill(0);
        if let Some(first) = buf.first_mut() {
            *first = id;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn swipes_faults_and_unplug_arrive_as_a_real_reader_sends_them() {
        let (mut dev, control) = SimulatedHidReader::new(ReaderProtocol::MagtekHid, Box::new(StdRng::seed_from_u64(1)));
        let mut buf = [0u8; 1024];
        assert_eq!(dev.read_report(&mut buf, Duration::from_millis(5)).unwrap(), 0);
        control.swipe("visa").unwrap();
        let n = dev.read_report(&mut buf, Duration::from_millis(50)).unwrap();
        assert_eq!(&buf[..n], sim_reports::magtek_hid_report(&super::super::test_cards::CATALOGUE[0]).as_slice());
        control.fault(Fault::Silence).unwrap();
        assert_eq!(dev.read_report(&mut buf, Duration::from_millis(20)).unwrap(), 0);
        control.fault(Fault::Truncated).unwrap();
        assert_eq!(dev.read_report(&mut buf, Duration::from_millis(50)).unwrap(), 337 / 2);
        dev.send_feature_report(&[0, 1, 2]).unwrap();
        let mut feature = [0u8; 24];
        assert_eq!(dev.get_feature_report(&mut feature).unwrap(), 24);
        control.fault(Fault::Unplug).unwrap();
        assert!(matches!(dev.read_report(&mut buf, Duration::from_millis(50)), Err(DeviceError::Disconnected(_))));
        assert!(matches!(dev.read_report(&mut buf, Duration::from_millis(50)), Err(DeviceError::Disconnected(_))));
        assert!(matches!(dev.get_feature_report(&mut feature), Err(DeviceError::Disconnected(_))));
    }
}
