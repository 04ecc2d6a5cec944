#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The simulated receipt printer: decoding, status answers and faults, the drawer, streaming,
//! serving over TCP, a pseudo-terminal and `sim://`, and (with sim-render) the PNG whose QR
//! codes read back as the line codes. The job bytes are written here by hand from Epson's
//! ESC/POS reference, independently of the till's encoder.

use proptest::prelude::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use till_devices::printer::simulator::{self, serve, SimHandle};
use till_devices::printer::{PaperWidth, PrinterFault};
use till_devices::transport::{ByteLink, SerialLink};
use till_devices::DeviceAddress;

const INIT: [u8; 2] = [0x1B, 0x40];
const CHINESE_ON: [u8; 2] = [0x1C, 0x26];
const CHINESE_OFF: [u8; 2] = [0x1C, 0x2E];
const CENTRE: [u8; 3] = [0x1B, 0x61, 0x01];
const LEFT: [u8; 3] = [0x1B, 0x61, 0x00];
const BOLD_ON: [u8; 3] = [0x1B, 0x45, 0x01];
const BOLD_OFF: [u8; 3] = [0x1B, 0x45, 0x00];
const DOUBLE: [u8; 3] = [0x1D, 0x21, 0x11];
const NORMAL: [u8; 3] = [0x1D, 0x21, 0x00];
const FEED_CUT: [u8; 4] = [0x1D, 0x56, 0x42, 0x30];
const KICK: [u8; 5] = [0x1B, 0x70, 0x00, 0x19, 0xFA];
const DLE_EOT: [u8; 2] = [0x10, 0x04];

/// `GS ( k`: model 2, module size, error correction M, store, print.
fn qr(data: &str, module: u8) -> Vec<u8> {
    let mut b = vec![0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00];
    b.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, module]);
    b.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]);
    let k = data.len() + 3;
    b.extend([0x1D, 0x28, 0x6B, (k % 256) as u8, (k / 256) as u8, 0x31, 0x50, 0x30]);
    b.extend(data.as_bytes());
    b.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]);
    b
}

fn gb18030(text: &str) -> Vec<u8> {
    // The two characters used here, from the GB18030 (GBK) table: 绿 = C2CC, 茶 = B2E8.
    text.chars()
        .flat_map(|c| match c {
            '绿' => vec![0xC2, 0xCC],
            '茶' => vec![0xB2, 0xE8],
            c => c.to_string().into_bytes(),
        })
        .collect()
}

/// A receipt with a double-size header, a bold Chinese line, and two lines each with its code
/// as text and as a QR code, fed and cut.
fn receipt(module: u8) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(INIT);
    b.extend(CHINESE_ON);
    b.extend(CENTRE);
    b.extend(DOUBLE);
    b.extend(b"Till Shop\n");
    b.extend(NORMAL);
    b.extend(LEFT);
    b.extend(BOLD_ON);
    b.extend(gb18030("绿茶 Green tea"));
    b.extend(BOLD_OFF);
    b.push(b'\n');
    for code in ["L-00000042-1", "L-00000042-2"] {
        b.extend(LEFT);
        b.extend(code.as_bytes());
        b.push(b'\n');
        b.extend(CENTRE);
        b.extend(qr(code, module));
    }
    b.extend([0x1B, 0x64, 0x02]);
    b.extend(CHINESE_OFF);
    b.extend(FEED_CUT);
    b
}

const RECEIPT_TEXT: &str =
    "Till Shop\n绿茶 Green tea\nL-00000042-1\n[QR L-00000042-1]\nL-00000042-2\n[QR L-00000042-2]\n\n\n[CUT]\n";

fn query(printer: &SimHandle, n: u8) -> u8 {
    let answer = printer.take(&[DLE_EOT[0], DLE_EOT[1], n]);
    assert_eq!(answer.len(), 1, "DLE EOT {n} gets one byte");
    answer[0]
}

#[test]
fn a_receipt_decodes_to_its_text_with_styles() {
    let printer = SimHandle::new(PaperWidth::Mm58);
    assert!(printer.take(&receipt(4)).is_empty());
    assert_eq!(printer.jobs(), vec![RECEIPT_TEXT.to_string()]);
    let job = &printer.printed()[0];
    let simulator::Element::Line(header) = &job.printed.elements[0] else { panic!("a line first") };
    assert_eq!(
        (header.align, header.bold(), header.spans[0].width, header.spans[0].height),
        (till_devices::printer::Align::Centre, false, 2, 2)
    );
    let simulator::Element::Line(tea) = &job.printed.elements[1] else { panic!("then a line") };
    assert!(tea.bold() && tea.spans[0].width == 1);
    assert_eq!(job.printed.qr_codes(), ["L-00000042-1", "L-00000042-2"]);
    assert_eq!(printer.unknown_commands(), 0, "everything in a receipt is understood");
}

#[test]
fn status_answers_follow_each_fault() {
    let printer = SimHandle::default();
    let answers = |p: &SimHandle| [query(p, 1), query(p, 2), query(p, 4)];
    assert_eq!(answers(&printer), [0x12, 0x12, 0x12], "all fine");
    // Epson: EOT 1 bit 3 offline; EOT 2 bit 5 paper end stop, bit 2 cover; EOT 4 bits 5-6 end, 2-3 near end.
    let cases: [(&str, &str, [u8; 3], Option<PrinterFault>); 4] = [
        ("paper-out", "paper-loaded", [0x1A, 0x32, 0x72], Some(PrinterFault::PaperEnd)),
        ("paper-near-end", "paper-loaded", [0x12, 0x12, 0x1E], None),
        ("cover-open", "cover-closed", [0x1A, 0x16, 0x12], Some(PrinterFault::CoverOpen)),
        ("offline", "online", [0x1A, 0x12, 0x12], Some(PrinterFault::Offline)),
    ];
    for (on, off, expected, fault) in cases {
        printer.control(on).unwrap();
        assert_eq!(answers(&printer), expected, "{on}");
        assert_eq!(printer.status().fault(), fault, "{on}");
        printer.control(off).unwrap();
        assert_eq!(answers(&printer), [0x12, 0x12, 0x12], "{off}");
    }
    // GS r 1: paper sensors (bits 2-3 end); GS r 2: the drawer connector.
    printer.paper_out();
    assert_eq!(printer.take(&[0x1D, 0x72, 0x01]), [0x0C]);
    printer.paper_loaded();
    assert_eq!(printer.take(&[0x1D, 0x72, 0x01]), [0x00]);
    assert!(printer.control("jam").is_err() && printer.control("slow fast").is_err());
}

#[test]
fn bytes_sent_while_paper_is_out_are_lost_and_printing_resumes_after_paper_loaded() {
    let printer = SimHandle::default();
    printer.control("paper-out").unwrap();
    let mut bytes = receipt(4);
    bytes.extend([DLE_EOT[0], DLE_EOT[1], 4]);
    assert_eq!(printer.take(&bytes), [0x72], "the status query inside is still answered");
    printer.connection_closed();
    assert!(printer.jobs().is_empty(), "nothing printed while out of paper");
    assert_eq!(printer.dropped_bytes(), bytes.len() as u64);
    printer.control("paper-loaded").unwrap();
    printer.take(&receipt(4));
    assert_eq!(printer.jobs(), vec![RECEIPT_TEXT.to_string()], "printed once, after the paper came back");
}

#[test]
fn a_fault_in_the_middle_of_a_job_keeps_what_printed_before_it() {
    let printer = SimHandle::default();
    printer.take(b"\x1b@first line\nsecond");
    printer.cover_open();
    printer.take(b" lost\n\x1dV\x00");
    printer.cover_closed();
    assert_eq!(printer.jobs(), vec!["first line\nsecond\n".to_string()]);
}

#[test]
fn a_drawer_kick_is_a_job_with_its_pulse_times_and_opens_the_drawer() {
    let printer = SimHandle::default();
    printer.take(&KICK);
    printer.take(&[0x1B, 0x70, 0x31, 50, 100]);
    assert_eq!(
        printer.jobs(),
        vec!["[DRAWER pin=0 on=50ms off=500ms]\n".to_string(), "[DRAWER pin=1 on=100ms off=200ms]\n".to_string()]
    );
    assert!(printer.drawer_open());
    assert_eq!(query(&printer, 1), 0x16, "DLE EOT 1 bit 2: drawer open");
    assert_eq!(printer.take(&[0x1D, 0x72, 0x02]), [0x01]);
    printer.control("drawer-closed").unwrap();
    assert!(!printer.drawer_open());
    assert_eq!(query(&printer, 1), 0x12);
    // A kick after printed text belongs to that job.
    printer.take(b"Paid cash\n");
    printer.take(&KICK);
    printer.take(&[0x1D, 0x56, 0x00]);
    assert_eq!(printer.jobs()[2], "Paid cash\n[DRAWER pin=0 on=50ms off=500ms]\n[CUT]\n");
}

#[test]
fn a_kick_sent_while_the_cover_is_open_does_not_open_the_drawer() {
    let printer = SimHandle::default();
    printer.cover_open();
    printer.take(&KICK);
    assert!(!printer.drawer_open() && printer.jobs().is_empty());
}

#[test]
fn a_real_time_kick_opens_the_drawer_while_the_paper_is_out() {
    let printer = SimHandle::default();
    printer.paper_out();
    printer.take(&till_devices::printer::encode::DRAWER_KICK_REALTIME);
    assert!(printer.drawer_open());
    assert_eq!(printer.jobs(), vec!["[DRAWER pin=0 on=100ms off=100ms]\n".to_string()]);
}

fn run_chunks(bytes: &[u8], cuts: &[usize]) -> (Vec<String>, Vec<u8>, u64) {
    let printer = SimHandle::default();
    let mut answers = Vec::new();
    let mut start = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    for cut in cuts.into_iter().chain([bytes.len()]) {
        answers.extend(printer.take(&bytes[start..cut]));
        start = cut;
    }
    printer.connection_closed();
    (printer.jobs(), answers, printer.unknown_commands())
}

#[test]
fn split_at_every_byte_the_stream_decodes_the_same() {
    let mut bytes = receipt(4);
    bytes.extend([DLE_EOT[0], DLE_EOT[1], 1]);
    bytes.extend(KICK);
    let whole = run_chunks(&bytes, &[]);
    assert_eq!(whole.0[0], RECEIPT_TEXT);
    for at in 0..=bytes.len() {
        assert_eq!(run_chunks(&bytes, &[at]), whole, "split at {at}");
    }
    let every: Vec<usize> = (0..bytes.len()).collect();
    assert_eq!(run_chunks(&bytes, &every), whole, "one byte at a time");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic_and_split_anywhere_alike(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let whole = run_chunks(&bytes, &[]);
        prop_assert_eq!(run_chunks(&bytes, &cuts), whole);
    }

    #[test]
    fn random_commands_among_text_never_panic(
        parts in proptest::collection::vec(
            prop_oneof![
                Just(vec![0x1Bu8]), Just(vec![0x1D]), Just(vec![0x1C]), Just(vec![0x10, 0x04]),
                Just(vec![0x1D, 0x28, 0x6B]), Just(vec![0x1C, 0x26]), Just(b"text\n".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..8),
            ],
            0..60,
        ),
    ) {
        let bytes: Vec<u8> = parts.concat();
        let printer = SimHandle::default();
        printer.take(&bytes);
        printer.connection_closed();
        #[cfg(feature = "sim-render")]
        for job in printer.printed() {
            prop_assert!(simulator::render::png(&job.printed, PaperWidth::Mm58).is_ok());
        }
    }
}

#[test]
fn tcp_serving_prints_the_job_and_answers_status_on_the_same_socket() {
    let printer = SimHandle::default();
    let server = serve::tcp(printer.clone(), TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    let mut socket = TcpStream::connect(&server.address).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut job = receipt(4);
    job.extend(KICK);
    job.extend([DLE_EOT[0], DLE_EOT[1], 1]);
    socket.write_all(&job).unwrap();
    let mut answer = [0u8; 1];
    socket.read_exact(&mut answer).unwrap();
    assert_eq!(answer[0], 0x16, "online, drawer open (bit 2)");
    // A job without a cut ends when its connection closes.
    socket.write_all(b"no cut here\n").unwrap();
    drop(socket);
    let deadline = Instant::now() + Duration::from_secs(5);
    while printer.jobs().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        printer.jobs(),
        vec![RECEIPT_TEXT.to_string(), "[DRAWER pin=0 on=50ms off=500ms]\n".into(), "no cut here\n".into()]
    );
    // The next connection is served too.
    let mut socket = TcpStream::connect(&server.address).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    printer.paper_out();
    socket.write_all(&[DLE_EOT[0], DLE_EOT[1], 4]).unwrap();
    socket.read_exact(&mut answer).unwrap();
    assert_eq!(answer[0], 0x72, "paper end");
    server.stop();
}

#[test]
fn pty_serving_prints_and_answers_like_a_serial_printer() {
    let printer = SimHandle::default();
    let server = serve::pty(printer.clone()).unwrap();
    assert!(server.address.starts_with("/dev/"), "{}", server.address);
    let mut port = SerialLink::open(&server.address, 19200).unwrap();
    let mut job = receipt(4);
    job.extend([DLE_EOT[0], DLE_EOT[1], 4]);
    port.write_all(&job).unwrap();
    let mut answer = [0u8; 1];
    assert_eq!(port.read(&mut answer, Duration::from_secs(5)).unwrap(), 1);
    assert_eq!(answer[0], 0x12);
    assert_eq!(printer.jobs(), vec![RECEIPT_TEXT.to_string()]);
}

#[test]
fn sim_address_reaches_the_shared_printer() {
    let address = DeviceAddress::parse("sim://printer-sim-test?width=58").unwrap();
    let mut link = simulator::link(&address).unwrap();
    let control = simulator::shared("printer-sim-test");
    assert_eq!(control.width(), PaperWidth::Mm58);
    assert_eq!(link.status().unwrap().map(|s| s.fault()), Some(None));
    link.send(&receipt(4)).unwrap();
    link.send(&KICK).unwrap();
    assert_eq!(control.jobs(), vec![RECEIPT_TEXT.to_string(), "[DRAWER pin=0 on=50ms off=500ms]\n".into()]);
    assert!(control.drawer_open() && link.status().unwrap().unwrap().drawer_open);
    control.paper_out();
    assert_eq!(link.status().unwrap().unwrap().fault(), Some(PrinterFault::PaperEnd));
    link.send(&receipt(4)).unwrap();
    assert_eq!(control.jobs().len(), 2, "lost while out of paper");
    for bad in ["sim://printer?width=60", "sim://printer?slow_ms=x"] {
        assert!(simulator::link(&DeviceAddress::parse(bad).unwrap()).is_err(), "{bad}");
    }
}

#[test]
fn slow_mode_holds_the_sender_by_the_delay_per_100_bytes() {
    let printer = SimHandle::default();
    printer.control("slow 20").unwrap();
    let started = Instant::now();
    printer.take(&[b'x'; 500]);
    // 500 bytes at 20 ms per 100: at least 100 ms (a lower bound, not a timing figure).
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[cfg(feature = "sim-render")]
mod rendering {
    use super::*;

    fn decode_qr(png: &[u8]) -> Vec<String> {
        let img = image::load_from_memory(png).unwrap().to_luma8();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(img.width() as usize, img.height() as usize, |x, y| {
                img.get_pixel(x as u32, y as u32).0[0]
            });
        let mut found: Vec<String> = prepared.detect_grids().into_iter().map(|g| g.decode().unwrap().1).collect();
        found.sort();
        found
    }

    #[test]
    fn the_qr_codes_in_the_rendering_read_back_as_the_line_codes() {
        for (width, module) in [(PaperWidth::Mm58, 4), (PaperWidth::Mm80, 6), (PaperWidth::Mm58, 3)] {
            let printer = SimHandle::new(width);
            printer.take(&receipt(module));
            let job = &printer.printed()[0];
            let png = simulator::render::png(&job.printed, width).unwrap();
            let img = image::load_from_memory(&png).unwrap();
            assert_eq!(img.width(), width.dots());
            assert_eq!(decode_qr(&png), ["L-00000042-1", "L-00000042-2"], "{width:?} module {module}");
        }
    }

    #[test]
    fn the_module_size_asked_for_is_the_size_drawn() {
        let small = simulator::render::render(&simulator::decode_jobs(&qr("L-1", 3))[0], PaperWidth::Mm80);
        let big = simulator::render::render(&simulator::decode_jobs(&qr("L-1", 8))[0], PaperWidth::Mm80);
        let dark_rows = |img: &image::GrayImage| {
            (0..img.height()).filter(|&y| (0..img.width()).any(|x| img.get_pixel(x, y).0[0] == 0)).count()
        };
        // A version 1 symbol: 21 modules high.
        assert_eq!((dark_rows(&small), dark_rows(&big)), (21 * 3, 21 * 8));
    }

    #[test]
    fn jobs_are_written_to_the_out_dir_as_numbered_text_and_png() {
        let dir = std::env::temp_dir().join(format!("till-printer-sim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let printer = SimHandle::new(PaperWidth::Mm80);
        printer.set_out_dir(Some(dir.clone()));
        printer.take(&receipt(6));
        printer.take(&KICK);
        assert_eq!(std::fs::read_to_string(dir.join("job-0001.txt")).unwrap(), RECEIPT_TEXT);
        let png = std::fs::read(dir.join("job-0001.png")).unwrap();
        assert_eq!(decode_qr(&png), ["L-00000042-1", "L-00000042-2"]);
        assert_eq!(std::fs::read_to_string(dir.join("job-0002.txt")).unwrap(), "[DRAWER pin=0 on=50ms off=500ms]\n");
        assert!(!dir.join("job-0002.png").exists(), "a lone kick prints nothing");
        use std::os::unix::fs::PermissionsExt;
        for file in ["job-0001.txt", "job-0001.png", "job-0002.txt"] {
            let mode = std::fs::metadata(dir.join(file)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{file} is for its owner only");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn printer_open_takes_sim_addresses() {
    let mut link = till_devices::printer::open("sim://printer-open-test?width=80").unwrap();
    link.send(b"\x1b@hello\n\x1dV\x00").unwrap();
    assert_eq!(simulator::shared("printer-open-test").jobs(), vec!["hello\n[CUT]\n".to_string()]);
}

#[test]
fn unknown_commands_are_skipped_by_their_documented_lengths_and_counted() {
    let printer = SimHandle::default();
    let mut bytes = b"\x1b@a".to_vec();
    // GS v 0: a raster image 2 bytes wide, 3 rows; its pixels hold LF and ESC bytes.
    bytes.extend([0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x03, 0x00, 0x0A, 0x0A, 0x1B, 0x40, 0x0A, 0x0A]);
    // ESC 3 n (line spacing) whose n is LF; ESC - n; GS ( L with a 4-byte body holding LFs.
    bytes.extend([0x1B, 0x33, 0x0A, 0x1B, 0x2D, 0x01]);
    bytes.extend([0x1D, 0x28, 0x4C, 0x04, 0x00, 0x0A, 0x0A, 0x0A, 0x0A]);
    // A CODE39 barcode ended by NUL (m = 4), one of the length-prefixed kind (m = 69), and
    // ESC * with 2 columns of 3 bytes.
    bytes.extend([0x1D, 0x6B, 0x04, b'1', 0x0A, 0x00, 0x1D, 0x6B, 0x45, 0x02, 0x0A, 0x0A]);
    bytes.extend([0x1B, 0x2A, 0x21, 0x02, 0x00, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A, 0x0A]);
    bytes.extend(b"b\n\x1dV\x00");
    printer.take(&bytes);
    assert_eq!(printer.jobs(), vec!["ab\n[CUT]\n".to_string()]);
    assert_eq!(printer.unknown_commands(), 7);
}

#[test]
fn init_clears_text_not_yet_fed_and_resets_the_modes() {
    let printer = SimHandle::default();
    printer.take(b"\x1ba\x01\x1bE\x01lost\x1b@kept\n\x1dV\x00");
    let job = &printer.printed()[0];
    assert_eq!(job.printed.text(), "kept\n[CUT]\n");
    let simulator::Element::Line(line) = &job.printed.elements[0] else { panic!("a line") };
    assert_eq!((line.align, line.bold()), (till_devices::printer::Align::Left, false));
}
