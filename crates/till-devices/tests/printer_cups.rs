#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The CUPS link runs `lp -d QUEUE -o raw` with the job on its standard input. There is no
//! CUPS server where the tests run, so a directory put first on PATH holds an executable `lp`
//! script that writes its arguments and its standard input to files: the test then sees exactly
//! what CUPS would have been given. PATH belongs to the whole process, so this test binary has
//! one test that changes it.

use std::os::unix::fs::PermissionsExt;
use till_devices::printer::link;
use till_devices::DeviceError;

#[test]
fn a_raw_queue_gets_the_bytes_on_lps_stdin_and_has_no_status() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let out = dir.path().display().to_string();
    let lp = bin.join("lp");
    std::fs::write(
        &lp,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{out}/args'\ncat > '{out}/stdin'\n\
             case \"$2\" in Broken) echo 'lp: The printer or class does not exist.' >&2; exit 1;; esac\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&lp, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::set_var("PATH", format!("{}:{path}", bin.display()));

    let job: Vec<u8> = [&[0x1B, 0x40][..], &(0..=255u8).collect::<Vec<_>>(), &[0x1D, 0x56, 0x42, 0x18]].concat();
    let mut queue = link::open("cups://Front_Counter").unwrap();
    queue.send(&job).unwrap();
    assert_eq!(std::fs::read(dir.path().join("stdin")).unwrap(), job, "every byte, raw");
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(args.lines().collect::<Vec<_>>(), ["-d", "Front_Counter", "-o", "raw"]);
    assert_eq!(queue.status(), Ok(None), "CUPS carries no status back");

    // A queue CUPS does not know: lp's own words reach the error.
    let err = link::open("cups://Broken").unwrap().send(&job).unwrap_err();
    assert!(matches!(&err, DeviceError::CupsFailed(m) if m.contains("does not exist")), "{err}");

    // No lp at all.
    std::env::set_var("PATH", dir.path().join("empty"));
    let err = link::open("cups://Front_Counter").unwrap().send(&job).unwrap_err();
    assert!(matches!(&err, DeviceError::CupsFailed(m) if m.contains("not installed")), "{err}");
    std::env::set_var("PATH", path);
}
