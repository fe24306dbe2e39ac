//! atrium.rs: write an Atrium native plugin in Rust with one registration line, not the ABI.
//!
//! ```ignore
//! #[path = "atrium.rs"]
//! mod atrium;
//! use atrium::{Function, Plugin};
//!
//! fn greet(name: &str) -> Result<String, String> {
//!     Ok(format!("Hello, {}!", name))
//! }
//!
//! pub static ATRIUM_PLUGIN: Plugin = Plugin::new("io.atrium.api.greeting.Greeter", "1.0.0", &[Function::String("greet", greet)]);
//! ```
//!
//! Build: `rustc --edition 2021 --crate-type cdylib -C opt-level=2 -o libgreeter.so greeter.rs` (no crates).
//!
//! This module exports Atrium's C ABI (docs/native.md) for the `ATRIUM_PLUGIN` static of the crate's root.
//! `Function::String(name, f)` is a function of one string that returns one; `Function::Json(name, f)` takes the
//! arguments as a JSON array and returns the result as JSON. `Err("why")` fails the call with that message; a
//! panic fails it too, and never crosses into the host. Standard library only.

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

/// One name the host calls, and what answers it.
#[allow(dead_code)]
pub enum Function {
    /// One string in, one string out.
    String(&'static str, fn(&str) -> Result<String, String>),
    /// The arguments as a JSON array in, the result as JSON out.
    Json(&'static str, fn(&str) -> Result<String, String>),
}

impl Function {
    fn name(&self) -> &'static str {
        match self {
            Function::String(n, _) | Function::Json(n, _) => n,
        }
    }
}

/// The plugin: its contract, its version and its functions. The host calls them one at a time unless `parallel`.
pub struct Plugin {
    contract: &'static str,
    version: &'static str,
    functions: &'static [Function],
    parallel: bool,
}

impl Plugin {
    pub const fn new(contract: &'static str, version: &'static str, functions: &'static [Function]) -> Plugin {
        Plugin { contract, version, functions, parallel: false }
    }

    /// Says that the functions may run on several threads at once.
    #[allow(dead_code)]
    pub const fn parallel(self) -> Plugin {
        Plugin { parallel: true, ..self }
    }
}

// SAFETY of the crate's static: Plugin holds only 'static data and fn pointers.
unsafe impl Sync for Plugin {}

static DESCRIPTION: Mutex<Option<CString>> = Mutex::new(None);

fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn space(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

fn hex4(s: &[u8], i: usize) -> Option<u32> {
    let h = s.get(i..i + 4)?;
    if !h.iter().all(|c| c.is_ascii_hexdigit()) {
        return None; // from_str_radix would take a sign
    }
    u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
}

/// The one string of a JSON array of one string, or None.
fn one_string(s: &[u8]) -> Option<String> {
    let mut i = space(s, 0);
    if s.get(i) != Some(&b'[') {
        return None;
    }
    i = space(s, i + 1);
    if s.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    let mut out: Vec<u8> = Vec::new();
    loop {
        let c = *s.get(i)?;
        i += 1;
        match c {
            b'"' => break,
            b'\\' => {
                let e = *s.get(i)?;
                i += 1;
                match e {
                    b'"' => out.push(b'"'),
                    b'\\' => out.push(b'\\'),
                    b'/' => out.push(b'/'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'u' => {
                        let mut cp = hex4(s, i)?;
                        i += 4;
                        if (0xD800..0xDC00).contains(&cp) {
                            if s.get(i..i + 2) != Some(b"\\u") {
                                return None;
                            }
                            let lo = hex4(s, i + 2)?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return None;
                            }
                            i += 6;
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        }
                        let ch = char::from_u32(cp)?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => return None,
                }
            }
            c if c < 0x20 => return None,
            c => out.push(c),
        }
    }
    i = space(s, i);
    if s.get(i) != Some(&b']') || space(s, i + 1) != s.len() {
        return None;
    }
    String::from_utf8(out).ok()
}

fn answer(bytes: Vec<u8>, resp: *mut *mut u8, resp_len: *mut usize) {
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    unsafe {
        *resp_len = len;
        *resp = Box::into_raw(boxed) as *mut u8;
    }
}

fn fail(message: &str, resp: *mut *mut u8, resp_len: *mut usize) -> i32 {
    let mut s = String::from("{\"code\":1,\"message\":");
    quote(&mut s, message);
    s.push('}');
    answer(s.into_bytes(), resp, resp_len);
    1
}

#[no_mangle]
pub extern "C" fn atrium_abi_version() -> u32 {
    1
}

#[no_mangle]
pub extern "C" fn atrium_describe() -> *const c_char {
    let mut d = DESCRIPTION.lock().unwrap_or_else(|e| e.into_inner());
    if d.is_none() {
        let p = &crate::ATRIUM_PLUGIN;
        let mut s = String::from("{\"contract\":");
        quote(&mut s, p.contract);
        s.push_str(",\"version\":");
        quote(&mut s, p.version);
        s.push_str(if p.parallel { ",\"threading\":\"parallel\",\"methods\":[" } else { ",\"threading\":\"serial\",\"methods\":[" });
        for (i, f) in p.functions.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            quote(&mut s, f.name());
        }
        s.push_str("]}");
        *d = CString::new(s).ok();
    }
    d.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

#[no_mangle]
pub extern "C" fn atrium_invoke(method: *const c_char, req: *const u8, req_len: usize, resp: *mut *mut u8, resp_len: *mut usize) -> i32 {
    let run = catch_unwind(AssertUnwindSafe(|| {
        let name = unsafe { CStr::from_ptr(method) }.to_str().unwrap_or("");
        let input = if req_len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(req, req_len) } };
        let f = match crate::ATRIUM_PLUGIN.functions.iter().find(|f| f.name() == name) {
            Some(f) => f,
            None => return Err("no such function".to_string()),
        };
        match f {
            Function::String(_, f) => {
                let arg = one_string(input).ok_or_else(|| "takes one string".to_string())?;
                let mut s = String::new();
                quote(&mut s, &f(&arg)?);
                Ok(s)
            }
            Function::Json(_, f) => f(std::str::from_utf8(input).map_err(|_| "the arguments are not UTF-8".to_string())?),
        }
    }));
    match run {
        Ok(Ok(s)) => {
            answer(s.into_bytes(), resp, resp_len);
            0
        }
        Ok(Err(why)) => fail(&why, resp, resp_len),
        Err(panic) => {
            let why = panic.downcast_ref::<&str>().map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "a panic".to_string());
            fail(&format!("panic: {}", why), resp, resp_len)
        }
    }
}

#[no_mangle]
pub extern "C" fn atrium_free(p: *mut u8, len: usize) {
    if !p.is_null() {
        unsafe { drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, len))) };
    }
}
