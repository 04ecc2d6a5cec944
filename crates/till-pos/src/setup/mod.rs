//! The first-run setup of a shop's till, and the mode a data directory belongs to.
//!
//! A till opened outside demo mode on a fresh data directory has no users, no catalogue and no
//! server: the window opens the setup, led by the installer, and it goes step by step
//! ([`SetupStep`]): the shop profile ([`shop`]), the first owner and the installer
//! ([`people`]), the server (settings or a one-time enrolment code, [`enrolment`]), the payment
//! platform key, the devices. Every step's result is stored as it is made, so an interrupted
//! setup opens again where it stopped. The first two steps need no session (nobody exists yet);
//! from then on the installer logs in and the commands are the installer's usual ones.
//!
//! A data directory belongs to one mode for good ([`check_mode`]): demo data never opens without
//! `--demo`, and a shop's till never opens in demo mode, where the stand-in would approve cards.

pub mod enrolment;
pub mod people;
pub mod shop;

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::setup::{SetupStatus, SetupStep};
use crate::Pos;
use serde_json::json;
use till_core::{Role, SessionToken};
use till_store::{audit, settings};

/// The settings key of the steps the installer has passed (configured or left for later).
const PASSED: &str = "setup.passed";
/// The settings key naming the data directory's mode: `demo` or `shop`.
const MODE: &str = "till.mode";

/// The steps after the first two, which the installer passes one by one.
const LATER_STEPS: [SetupStep; 3] = [SetupStep::Server, SetupStep::Payments, SetupStep::Devices];

/// Refuses a data directory of the other mode, and records the mode of a new one. A database
/// from before modes existed is a demo one if demo data was ever seeded in it, a shop's if it
/// has users otherwise; such a shop's till has been selling, so its setup counts as finished
/// (its profile can be added later on the installer screen).
pub(crate) fn check_mode(pos: &Pos) -> Result<()> {
    let wanted = if pos.demo { "demo" } else { "shop" };
    let stored = match pos.store.setting(MODE)? {
        Some(mode) => mode,
        None => {
            let seeded: bool = pos.store.read(|c| {
                Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'demo.seeded')", [], |r| {
                    r.get(0)
                })?)
            })?;
            let legacy_shop = !seeded && pos.store.has_users()?;
            let inferred = if seeded {
                "demo"
            } else if legacy_shop {
                "shop"
            } else {
                wanted
            };
            let passed = serde_json::to_string(&LATER_STEPS).map_err(|e| PosError::Internal(e.to_string()))?;
            pos.store.write(|tx| {
                settings::put(tx, MODE, inferred)?;
                if legacy_shop {
                    settings::put(tx, PASSED, &passed)?;
                }
                Ok(())
            })?;
            inferred.to_string()
        }
    };
    match (stored.as_str(), pos.demo) {
        ("demo", false) => Err(PosError::ModeMismatch(
            "this data directory holds a demo till (demo users and catalogue); start Till with --demo to use it, \
             or choose another data directory (TILL_DATA_DIR) for the shop"
                .into(),
        )),
        ("shop", true) => Err(PosError::ModeMismatch(
            "this data directory holds a shop's till; demo mode would let the stand-in approve cards, so it does \
             not open it: start Till without --demo, or choose another data directory for the demo"
                .into(),
        )),
        _ => Ok(()),
    }
}

impl Pos {
    /// Whether the till is ready to sell: always in demo mode; otherwise once every setup step
    /// is passed.
    pub fn setup_complete(&self) -> Result<bool> {
        Ok(self.demo || self.setup_step()? == SetupStep::Done)
    }

    /// The steps passed so far.
    fn passed_steps(&self) -> Result<Vec<SetupStep>> {
        match self.store.setting(PASSED)? {
            None => Ok(Vec::new()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| PosError::Internal(format!("the stored setup progress does not read: {e}"))),
        }
    }

    /// Whether the till has its owner and its installer.
    fn has_first_people(&self) -> Result<bool> {
        let users = self.store.users()?;
        let has = |role: Role| users.iter().any(|u| u.role == role && u.active);
        Ok(has(Role::Owner) && has(Role::Installer))
    }

    /// The step the setup is at; passing the last step finishes it for good.
    fn setup_step(&self) -> Result<SetupStep> {
        let passed = self.passed_steps()?;
        if passed.contains(&SetupStep::Devices) {
            return Ok(SetupStep::Done);
        }
        if self.shop_profile()?.is_none() {
            return Ok(SetupStep::Shop);
        }
        if !self.has_first_people()? {
            return Ok(SetupStep::People);
        }
        Ok(LATER_STEPS.into_iter().find(|s| !passed.contains(s)).unwrap_or(SetupStep::Done))
    }

    /// Where the setup stands (no session needed: the window asks before anyone logs in).
    pub fn setup_status(&self) -> Result<SetupStatus> {
        let step = if self.demo { SetupStep::Done } else { self.setup_step()? };
        let server_set = self.store.setting(crate::sync::settings::SETTING)?.is_some();
        let platform_key_set = self.sale.card_payments.keys.get().is_some();
        let configured = |s: &SetupStep| match s {
            SetupStep::Server => server_set,
            SetupStep::Payments => platform_key_set,
            _ => true,
        };
        Ok(SetupStatus {
            step,
            shop: self.shop_profile()?,
            people_done: self.has_first_people()?,
            server_set,
            platform_key_set,
            skipped: self.passed_steps()?.into_iter().filter(|s| !configured(s)).collect(),
            pin_min_length: self.pin_min_length() as u32,
        })
    }

    /// Marks one of the later steps as passed (configured, or left for later: the status lists
    /// those as skipped). Passing the last one finishes the setup. Steps are passed in order.
    pub fn setup_pass(&self, token: &SessionToken, step: SetupStep) -> Result<SetupStatus> {
        let s = self.authorize(token, Command::SetupPass)?;
        self.check_not_demo()?;
        let current = self.setup_step()?;
        if !LATER_STEPS.contains(&step) || current != step {
            return Err(PosError::SetupIncomplete(format!("the setup is at the {current:?} step, not {step:?}")));
        }
        let mut passed = self.passed_steps()?;
        passed.push(step);
        let text = serde_json::to_string(&passed).map_err(|e| PosError::Internal(e.to_string()))?;
        let done = step == SetupStep::Devices;
        let now = self.now_ms();
        self.store.write(|tx| {
            settings::put(tx, PASSED, &text)?;
            audit::append(tx, now, Some(s.user_id), "setup.step_passed", &json!({ "step": step }))?;
            if done {
                audit::append(tx, now, Some(s.user_id), "setup.completed", &json!({}))?;
            }
            Ok(())
        })?;
        if done {
            tracing::info!("setup completed");
        }
        self.setup_status()
    }

    /// Refuses unless the sessionless first steps are open: outside demo mode, with no user yet.
    pub(crate) fn check_bootstrap_open(&self) -> Result<()> {
        self.check_not_demo()?;
        if self.store.has_users()? {
            return Err(PosError::SetupIncomplete(
                "this till already has users: an owner or the installer logs in to change its setup".into(),
            ));
        }
        Ok(())
    }

    fn check_not_demo(&self) -> Result<()> {
        if self.demo {
            return Err(PosError::SetupIncomplete("a demo till has no first-run setup".into()));
        }
        Ok(())
    }

    /// Until the setup is finished only the owner and the installer may log in: nobody sells on
    /// a till without its shop profile, server and devices.
    pub(crate) fn check_login_allowed(&self, role: Role) -> Result<()> {
        if matches!(role, Role::Owner | Role::Installer) || self.setup_complete()? {
            Ok(())
        } else {
            Err(PosError::SetupIncomplete("this till is not set up yet; the installer finishes the setup first".into()))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
