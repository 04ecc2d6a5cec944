//! The client's signature is the server's: the same inputs give the same header value.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Key, method, path, timestamp, body.
type Case<'a> = (&'a [u8], &'a str, &'a str, i64, &'a [u8]);

#[test]
fn client_and_server_sign_alike() {
    let cases: [Case; 4] = [
        (&[7u8; 32], "POST", "/v1/sales", 1_795_000_000, b"{}"),
        (&[0u8; 32], "GET", "/v1/ping", 0, b""),
        (b"short key", "POST", "/v1/sync/batch", 1_800_000_000, br#"{"events":[]}"#),
        (&[255u8; 32], "GET", "/v1/line-codes/ABC?x=1", -5, "\u{e9}".as_bytes()),
    ];
    for (key, method, path, ts, body) in cases {
        let nonce = "00112233445566778899aabbccddeeff";
        let ours = till_client::signing::sign(key, method, path, ts, nonce, body);
        assert_eq!(ours, till_server::signing::sign(key, method, path, ts, nonce, body));
        assert_eq!(ours, till_core::signing::sign(key, method, path, ts, nonce, body));
        assert!(till_server::signing::verify(key, method, path, ts, nonce, body, &ours));
    }
    // the shared vector of the unit test
    assert_eq!(
        till_server::signing::sign(
            &[7u8; 32],
            "POST",
            "/v1/sales",
            1_795_000_000,
            "00112233445566778899aabbccddeeff",
            b"{}"
        ),
        "hBphe1Jm+UEufnenKgMP/0P5/nnt9ThJ8bTDjzty6B0="
    );
}
