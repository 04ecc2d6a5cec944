//! Backups through the till, on real files, with the till's manual clock.

use super::schedule::file_name;
use super::*;
use crate::tests::{pos, CASHIER, INSTALLER, OWNER};
use std::sync::Arc;
use till_core::calendar::{days_from_civil, DAY_MS};

const HOUR_MS: i64 = 3_600_000;

/// Local 03:01 on a day, for a till at UTC+8.
fn just_after_three(day: i64) -> i64 {
    day * DAY_MS + 3 * HOUR_MS + 60_000 - 480 * 60_000
}

fn files(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn settings(second_target: &str) -> BackupSettings {
    BackupSettings { hour: 3, utc_offset_minutes: 480, second_target: second_target.into() }
}

fn audit_actions(p: &Pos) -> Vec<String> {
    p.store().audit_page(None, 500).unwrap().entries.into_iter().map(|e| e.action).collect()
}

#[test]
fn forty_simulated_nights_leave_seven_days_and_four_weeks_here_and_on_the_second_target() {
    let (dir, clock, p) = pos();
    let usb = dir.path().join("usb");
    std::fs::create_dir(&usb).unwrap();
    let t = p.login(INSTALLER, "3333").unwrap().token;
    p.backup_settings_set(&t, settings(usb.to_str().unwrap())).unwrap();
    let first = days_from_civil(2026, 11, 1);
    let last = days_from_civil(2026, 12, 10);
    for day in first..=last {
        // Before the hour: nothing due once the previous night's backup is there.
        clock.set(just_after_three(day) - 2 * HOUR_MS);
        if day > first {
            assert!(p.backup_if_due().unwrap().is_none(), "day {day}: not before 03:00");
        }
        clock.set(just_after_three(day));
        let run = p.backup_if_due().unwrap().expect("due at 03:01");
        assert!(run.ok && run.second_target.as_ref().is_some_and(|t| t.ok), "{run:?}");
        assert_eq!(run.file.as_deref(), Some(p.backups_folder().join(file_name(day)).to_str().unwrap()));
        clock.advance(HOUR_MS);
        assert!(p.backup_if_due().unwrap().is_none(), "once a night");
    }
    let expected = [
        "till-2026-11-22.db",
        "till-2026-11-29.db",
        "till-2026-12-04.db",
        "till-2026-12-05.db",
        "till-2026-12-06.db",
        "till-2026-12-07.db",
        "till-2026-12-08.db",
        "till-2026-12-09.db",
        "till-2026-12-10.db",
    ];
    assert_eq!(files(&p.backups_folder()), expected);
    assert_eq!(files(&usb), expected);
    // Each is a whole database, the owner's only.
    let newest = p.backups_folder().join("till-2026-12-10.db");
    till_store::backup::integrity_check_file(&newest).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&newest).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(p.backups_folder()).unwrap().permissions().mode() & 0o777, 0o700);
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let status = p.backup_status(&t).unwrap();
    assert_eq!(status.files.first().map(String::as_str), Some("till-2026-12-10.db"));
    assert_eq!(status.next_due_ms, just_after_three(last + 1) - 60_000);
}

#[test]
fn a_missed_night_is_made_up_at_the_first_look_after() {
    let (_dir, clock, p) = pos();
    let t = p.login(OWNER, "4444").unwrap().token;
    p.backup_settings_set(&t, settings("")).unwrap();
    let day = days_from_civil(2026, 12, 6);
    clock.set(just_after_three(day));
    assert!(p.backup_if_due().unwrap().is_some_and(|r| r.ok));
    // Off for two nights; the till looks again at 10:00 on the third day.
    clock.set(just_after_three(day + 3) + 7 * HOUR_MS);
    let run = p.backup_if_due().unwrap().expect("made up");
    assert!(run.file.as_deref().is_some_and(|f| f.ends_with(&file_name(day + 3))), "{run:?}");
    assert!(p.backup_if_due().unwrap().is_none());
}

#[test]
fn a_missing_or_unwritable_second_target_is_reported_never_fatal() {
    let (dir, clock, p) = pos();
    let day = days_from_civil(2026, 12, 6);
    clock.set(just_after_three(day));
    let t = p.login(INSTALLER, "3333").unwrap().token;
    let missing = dir.path().join("usb-not-mounted");
    p.backup_settings_set(&t, settings(missing.to_str().unwrap())).unwrap();
    let status = p.backup_now(&t).unwrap();
    let last = status.last.unwrap();
    assert!(last.ok, "the backup beside the database stands");
    let target = last.second_target.unwrap();
    assert!(!target.ok && target.message.contains("is not there"), "{target:?}");
    assert!(!missing.exists(), "a missing target is never created");
    assert!(audit_actions(&p).iter().any(|a| a == "backup.second_target_failed"));

    // A folder it cannot write the copy into.
    let blocked = dir.path().join("blocked");
    std::fs::create_dir_all(blocked.join(format!(".{}.partial", file_name(day)))).unwrap();
    p.backup_settings_set(&t, settings(blocked.to_str().unwrap())).unwrap();
    let target = p.backup_now(&t).unwrap().last.unwrap().second_target.unwrap();
    assert!(!target.ok && target.message.contains("cannot write"), "{target:?}");
    assert_eq!(files(&blocked), [format!(".{}.partial", file_name(day))]);
}

#[test]
fn settings_are_checked_stored_audited_and_for_installers_and_owners_only() {
    let (_dir, _clock, p) = pos();
    let cashier = p.login(CASHIER, "1111").unwrap().token;
    assert!(matches!(p.backup_settings_get(&cashier), Err(PosError::Forbidden { .. })));
    assert!(matches!(p.backup_now(&cashier), Err(PosError::Forbidden { .. })));
    let owner = p.login(OWNER, "4444").unwrap().token;
    assert_eq!(
        p.backup_settings_get(&owner).unwrap(),
        BackupSettings { hour: 3, utc_offset_minutes: 0, second_target: String::new() }
    );
    for bad in [
        BackupSettings { hour: 24, ..settings("") },
        BackupSettings { utc_offset_minutes: 15 * 60, ..settings("") },
        settings("relative/folder"),
    ] {
        assert!(matches!(p.backup_settings_set(&owner, bad), Err(PosError::InvalidInput(_))));
    }
    let saved = p.backup_settings_set(&owner, BackupSettings { hour: 22, ..settings("/media/usb ") }).unwrap();
    assert_eq!(saved, BackupSettings { hour: 22, utc_offset_minutes: 480, second_target: "/media/usb".into() });
    assert!(audit_actions(&p).iter().any(|a| a == "backup.settings_changed"));
}

#[test]
fn the_worker_takes_the_due_backup_on_its_own() {
    let (_dir, clock, p) = pos();
    clock.set(just_after_three(days_from_civil(2026, 12, 6)));
    let t = p.login(INSTALLER, "3333").unwrap().token;
    p.backup_settings_set(&t, settings("")).unwrap();
    let p = Arc::new(p);
    Pos::start_backups(&p, std::time::Duration::from_millis(20)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while p.backup_status_view().unwrap().last.is_none() {
        assert!(std::time::Instant::now() < deadline, "no backup within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(p.backup_status_view().unwrap().last.unwrap().ok);
    assert_eq!(files(&p.backups_folder()), ["till-2026-12-06.db"]);
}
