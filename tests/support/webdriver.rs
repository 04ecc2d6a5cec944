#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: failing loudly is the point
//! A minimal W3C WebDriver client over HTTP, enough to drive the real Till window through
//! tauri-driver: find, click, type, read text, wait.

use serde_json::{json, Value};
use std::time::{Duration, Instant};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The WebDriver code for the Enter key.
pub const ENTER: &str = "\u{E007}";
/// The WebDriver code for F2.
pub const F2: &str = "\u{E032}";

/// One WebDriver session.
pub struct Session {
    base: String,
    id: String,
}

fn call(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let req = ureq::request(method, url).timeout(Duration::from_secs(60));
    let resp = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    match resp {
        Ok(r) => r.into_json::<Value>().map_err(|e| e.to_string()),
        Err(ureq::Error::Status(code, r)) => Err(format!("HTTP {code}: {}", r.into_string().unwrap_or_default())),
        Err(e) => Err(e.to_string()),
    }
}

impl Session {
    /// Logs in user `digit` (its place on the login screen, which is its id) with `pin`.
    pub fn login_as(&self, digit: &str, pin: &str) {
        self.wait_for(&format!(".login-user[data-user-id='{digit}']"));
        self.keys(&format!("{digit}{ENTER}"));
        self.wait_for("#pin-pad");
        self.keys(&format!("{pin}{ENTER}"));
    }

    /// Logs out with the header's button, saying yes when the till asks about sales not yet
    /// sent to a server, until user `next_user` is on the login screen.
    pub fn log_out_to(&self, next_user: &str) {
        self.execute("document.querySelector('#logout')?.click()");
        let start = Instant::now();
        while self.find_all(&format!(".login-user[data-user-id='{next_user}']")).is_empty() {
            assert!(start.elapsed() < Duration::from_secs(10), "no way back to the login screen: {}", self.page_text());
            if !self.find_all("[role=alertdialog], [role=dialog]").is_empty() {
                self.keys(ENTER);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Starts a session that launches `application` through the driver at `base`.
    pub fn start(base: &str, application: &str) -> Result<Session, String> {
        let caps = json!({ "capabilities": { "alwaysMatch": { "tauri:options": { "application": application } } } });
        let v = call("POST", &format!("{base}/session"), Some(caps))?;
        let id = v["value"]["sessionId"].as_str().ok_or(format!("no session id in {v}"))?.to_string();
        Ok(Session { base: base.to_string(), id })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{}", self.base, self.id, path)
    }

    /// Finds all elements matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Vec<String> {
        call("POST", &self.url("/elements"), Some(json!({ "using": "css selector", "value": css })))
            .ok()
            .and_then(|v| v["value"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e[ELEMENT_KEY].as_str().map(str::to_string))
            .collect()
    }

    /// Waits up to `timeout` for at least `n` elements matching `css`.
    pub fn wait_for_n(&self, css: &str, n: usize, timeout: Duration) -> Vec<String> {
        let start = Instant::now();
        loop {
            let found = self.find_all(css);
            if found.len() >= n {
                return found;
            }
            if start.elapsed() > timeout {
                panic!("waited {timeout:?} for {n} x {css:?}, found {}; page text:\n{}", found.len(), self.page_text());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for one element matching `css`.
    pub fn wait_for(&self, css: &str) -> String {
        self.wait_for_n(css, 1, Duration::from_secs(20)).remove(0)
    }

    /// Waits for an element matching `css` whose text contains `needle` (a view still loading
    /// shows its placeholder first), and returns that text.
    pub fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let text = self.find_all(css).first().map(|e| self.text(e)).unwrap_or_default();
            if text.contains(needle) {
                return text;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("waited for {needle:?} in {css:?}; it reads:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks an element.
    pub fn click(&self, element: &str) {
        call("POST", &self.url(&format!("/element/{element}/click")), Some(json!({}))).expect("click");
    }

    /// Types into an element.
    pub fn type_into(&self, element: &str, text: &str) {
        call("POST", &self.url(&format!("/element/{element}/value")), Some(json!({ "text": text }))).expect("type");
    }

    /// The element that has the keyboard focus.
    pub fn active(&self) -> String {
        let v = call("GET", &self.url("/element/active"), None).expect("active element");
        v["value"][ELEMENT_KEY].as_str().expect("an element has focus").to_string()
    }

    /// Types on the keyboard, into whatever has the focus, as a person (or a scanner) does.
    pub fn keys(&self, text: &str) {
        self.type_into(&self.active(), text);
    }

    /// An element's attribute.
    pub fn attribute(&self, element: &str, name: &str) -> String {
        call("GET", &self.url(&format!("/element/{element}/attribute/{name}")), None)
            .map(|v| v["value"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    }

    /// The visible text of an element.
    pub fn text(&self, element: &str) -> String {
        call("GET", &self.url(&format!("/element/{element}/text")), None)
            .map(|v| v["value"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    }

    /// The whole page's visible text, for failure messages.
    pub fn page_text(&self) -> String {
        self.find_all("body").first().map(|b| self.text(b)).unwrap_or_default()
    }

    /// Draws strokes with the mouse on an element: each stroke is a list of offsets from the
    /// element's centre, pressed from the first point to the last (pointer events, as a finger
    /// or pen would).
    pub fn draw(&self, element: &str, strokes: &[&[(i64, i64)]]) {
        let origin = json!({ ELEMENT_KEY: element });
        let mut actions = Vec::new();
        for stroke in strokes {
            let Some(((x0, y0), rest)) = stroke.split_first() else { continue };
            actions.push(json!({ "type": "pointerMove", "duration": 0, "origin": origin, "x": x0, "y": y0 }));
            actions.push(json!({ "type": "pointerDown", "button": 0 }));
            for (x, y) in rest {
                actions.push(json!({ "type": "pointerMove", "duration": 30, "origin": origin, "x": x, "y": y }));
            }
            actions.push(json!({ "type": "pointerUp", "button": 0 }));
        }
        let body = json!({ "actions": [{
            "type": "pointer", "id": "mouse", "parameters": { "pointerType": "mouse" }, "actions": actions
        }] });
        call("POST", &self.url("/actions"), Some(body)).expect("pointer actions");
        let _ = call("DELETE", &self.url("/actions"), None);
    }

    /// Runs a script in the page.
    pub fn execute(&self, script: &str) {
        call("POST", &self.url("/execute/sync"), Some(json!({ "script": script, "args": [] }))).expect("execute");
    }

    /// Runs an asynchronous script in the page and returns what it passes to its callback
    /// (the last argument). Each test file compiles this module; not all use this.
    #[allow(dead_code)]
    pub fn execute_async(&self, script: &str) -> Value {
        let body = json!({ "script": script, "args": [] });
        call("POST", &self.url("/execute/async"), Some(body)).expect("execute async")["value"].clone()
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        // WebKit takes the snapshot at the next paint; a page with nothing animating may not
        // paint again, so nudge it (an invisible change of opacity) first.
        self.execute(
            "let n = 0; const id = setInterval(() => { document.body.style.opacity = n % 2 ? '' : '0.999'; \
             if (++n > 40) { clearInterval(id); document.body.style.opacity = ''; } }, 50);",
        );
        let v = call("GET", &self.url("/screenshot"), None).expect("screenshot");
        base64_decode(v["value"].as_str().expect("base64 PNG"))
    }

    /// Saves a screenshot as `name` when `TILL_SCREENSHOTS` names a directory (how
    /// docs/screenshots are made); does nothing otherwise.
    pub fn screenshot_for_docs(&self, name: &str) {
        if let Some(dir) = std::env::var_os("TILL_SCREENSHOTS") {
            std::fs::write(std::path::Path::new(&dir).join(name), self.screenshot()).expect("screenshot saved");
        }
    }

    /// Ends the session (closes the app).
    pub fn end(self) {
        let _ = call("DELETE", &self.url(""), None);
    }
}

/// Standard base64 (what WebDriver sends screenshots in), decoded; test support only.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
