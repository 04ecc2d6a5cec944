//! A minimal W3C WebDriver client for the console's tests: starts chromedriver on a free port,
//! opens headless Chromium, and finds, clicks, types and reads over the protocol's HTTP API.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, missing_docs)]

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The chromedriver process and one browser session on it; both end on drop.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn program(env: &str, default: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| default.to_string())
}

impl Browser {
    /// Starts chromedriver (`CHROMEDRIVER`, else `chromedriver` on the PATH) and a headless
    /// Chromium (`CHROMIUM`, else `/usr/bin/chromium`) with an empty profile.
    pub fn start() -> Browser {
        let port = free_port();
        let driver = Command::new(program("CHROMEDRIVER", "chromedriver"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (Debian: chromium-driver)");
        let base = format!("http://127.0.0.1:{port}");
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
        let start = Instant::now();
        while agent.get(&format!("{base}/status")).call().is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": program("CHROMIUM", "/usr/bin/chromium"),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", "--lang=en-US"]
            }
        }}});
        let mut browser = Browser { driver, base, session: String::new(), agent };
        let v = browser.call("POST", "/session", Some(caps)).expect("a browser session");
        browser.session = v["sessionId"].as_str().expect("session id").to_string();
        browser
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = if self.session.is_empty() || path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let req = self.agent.request(method, &url);
        let resp = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match resp {
            Ok(r) => Ok(r.into_json::<Value>().map_err(|e| e.to_string())?["value"].clone()),
            Err(ureq::Error::Status(code, r)) => Err(format!("HTTP {code}: {}", r.into_string().unwrap_or_default())),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Opens `url`.
    pub fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url }))).unwrap();
    }

    /// The current URL.
    pub fn url(&self) -> String {
        self.call("GET", "/url", None).unwrap().as_str().unwrap_or_default().to_string()
    }

    /// Every element matching `css`.
    pub fn find_all(&self, css: &str) -> Vec<String> {
        self.call("POST", "/elements", Some(json!({ "using": "css selector", "value": css })))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e[ELEMENT_KEY].as_str().map(str::to_string))
            .collect()
    }

    /// Waits up to 10 s for an element matching `css`.
    pub fn wait_for(&self, css: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find_all(css).into_iter().next() {
                return e;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "no {css} on {}: {}", self.url(), self.page_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks the element matching `css`.
    pub fn click(&self, css: &str) {
        self.retry(css, |e| self.call("POST", &format!("/element/{e}/click"), Some(json!({}))));
    }

    /// Runs `f` on the element matching `css`, again while the page is being replaced (a
    /// navigation can make the element found stale before it is used).
    fn retry(&self, css: &str, f: impl Fn(&str) -> Result<Value, String>) -> Value {
        let start = Instant::now();
        loop {
            let e = self.wait_for(css);
            match f(&e) {
                Ok(v) => return v,
                Err(err) => assert!(start.elapsed() < Duration::from_secs(10), "{css}: {err}"),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clears the field matching `css` and types `text` into it.
    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.wait_for(css);
        self.call("POST", &format!("/element/{e}/clear"), Some(json!({}))).unwrap();
        self.call("POST", &format!("/element/{e}/value"), Some(json!({ "text": text }))).unwrap();
    }

    /// Sends keys to the focused element (WebDriver key codes allowed).
    pub fn keys(&self, text: &str) {
        let e = self.call("GET", "/element/active", None).unwrap();
        let id = e[ELEMENT_KEY].as_str().unwrap().to_string();
        self.call("POST", &format!("/element/{id}/value"), Some(json!({ "text": text }))).unwrap();
    }

    /// Presses `key` with Alt held (a W3C key action), e.g. an accesskey.
    pub fn alt(&self, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": "\u{E00A}"}, {"type": "keyDown", "value": key},
            {"type": "keyUp", "value": key}, {"type": "keyUp", "value": "\u{E00A}"}]}]});
        self.call("POST", "/actions", Some(actions)).unwrap();
        let _ = self.call("DELETE", "/actions", None);
    }

    /// The visible text of the element matching `css`.
    pub fn text(&self, css: &str) -> String {
        let v = self.retry(css, |e| self.call("GET", &format!("/element/{e}/text"), None));
        v.as_str().unwrap_or_default().to_string()
    }

    /// The texts of every element matching `css`.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.find_all(css)
            .iter()
            .map(|e| {
                self.call("GET", &format!("/element/{e}/text"), None).unwrap().as_str().unwrap_or_default().to_string()
            })
            .collect()
    }

    /// The page's whole visible text.
    pub fn page_text(&self) -> String {
        self.find_all("body")
            .first()
            .and_then(|e| self.call("GET", &format!("/element/{e}/text"), None).ok())
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The page's HTML source.
    pub fn source(&self) -> String {
        self.call("GET", "/source", None).unwrap().as_str().unwrap_or_default().to_string()
    }

    /// Runs `script` in the page and answers its return value.
    pub fn execute(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": [] }))).unwrap()
    }

    /// Picks the option whose value is `value` in the select matching `css`.
    pub fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value='{value}']"));
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let b64 = self.call("GET", "/screenshot", None).unwrap();
        base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap()).unwrap()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.call("DELETE", "", None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
