//! The Greeter of the source documents' first task as a native plugin in Rust (docs/native.md).
//! Build: rustc --edition 2021 --crate-type cdylib -C opt-level=2 -o libgreeter.so greeter.rs

#[path = "../../../sdk/native/rust/atrium.rs"]
mod atrium;
use atrium::{Function, Plugin};

fn greet(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("a name is needed".to_string());
    }
    Ok(format!("Hello, {}! (from Rust)", name))
}

pub static ATRIUM_PLUGIN: Plugin = Plugin::new("io.atrium.api.greeting.Greeter", "1.0.0", &[Function::String("greet", greet)]);
