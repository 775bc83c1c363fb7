//! Config parser fuzzing: arbitrary or damaged YAML gives located errors, never a panic.

use super::*;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary text: an error list or a config, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        if let Err(e) = Config::from_yaml_str(&text, &FakeEnv::default()) {
            prop_assert!(!e.0.is_empty());
            prop_assert!(e.0.iter().all(|err| !err.path.is_empty() && !err.message.is_empty()));
        }
    }

    /// The example with lines dropped or cut: every error still has a path.
    #[test]
    fn damaged_example_gives_located_errors(drop in prop::collection::vec(0usize..240, 0..4), cut in 0usize..12000) {
        let lines: Vec<&str> = EXAMPLE.lines().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, l)| l).collect();
        let mut text = lines.join("\n");
        let mut end = cut.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        if let Err(e) = Config::from_yaml_str(&text, &example_env()) {
            prop_assert!(e.0.iter().all(|err| !err.path.is_empty() && !err.message.is_empty()), "{e}");
        }
    }
}
