//! Any configuration text, in every format, must load or be refused without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traefikee_proxy::config::{load_document, load_dynamic, load_static, Format};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let format = match selector % 3 {
        0 => Format::Yaml,
        1 => Format::Toml,
        _ => Format::Json,
    };
    if let Ok(document) = load_document(text, format) {
        // What loads must serialize and load back to the same model.
        if let Ok(again) = document.to_text(format) {
            assert_eq!(load_document(&again, format).ok().as_ref(), Some(&document));
        }
    }
    let _ = load_dynamic(text, format);
    let _ = load_static(text, format);
});
