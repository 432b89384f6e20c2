//! `--generate`: the man page read by groff, the bash completions loaded by bash.

use std::process::{Command, Stdio};

use crate::util::run;

fn generated(kind: &str) -> String {
    let run = run(&["--generate", kind]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    String::from_utf8(run.stdout).unwrap()
}

/// The man page formats without a groff warning (`-ww`) and shows the options and their help.
#[test]
fn the_man_page_is_read_by_groff() {
    let page = generated("man");
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("groff (groff-base) runs");
    use std::io::Write;
    groff
        .stdin
        .take()
        .unwrap()
        .write_all(page.as_bytes())
        .unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "groff warns: {stderr}");
    // groff marks bold by overstriking (`c\bc`), hyphenates and prints dashes as it likes;
    // compare letters and digits only.
    let chars: Vec<char> = String::from_utf8_lossy(&out.stdout).chars().collect();
    let text: String = (0..chars.len())
        .filter(|&i| chars.get(i + 1) != Some(&'\u{8}') && chars[i] != '\u{8}')
        .map(|i| chars[i])
        .filter(|c| c.is_alphanumeric())
        .collect();
    for wanted in [
        "NAME",
        "dedupFindexact",
        "maxduplicateratioR",
        "generateKIND",
    ] {
        assert!(text.contains(wanted), "{wanted} not in the man page");
    }
}

/// Loaded by bash, the completions complete an option and its values.
#[test]
fn bash_completes_options_and_their_values() {
    let script = generated("complete-bash");
    let complete = |words: &str, cword: usize| -> String {
        let program = format!(
            "{script}\nCOMP_WORDS=({words}); COMP_CWORD={cword}; \
             _dedup dedup \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; \
             echo \"${{COMPREPLY[@]}}\""
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(program)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(complete("dedup --form", 1), "--format");
    assert_eq!(
        complete("dedup --format ''", 2),
        "json jsonl github text html"
    );
    assert_eq!(complete("dedup --color ''", 2), "auto always never");
}

/// The other shells' scripts name the program and its options (no zsh, fish or PowerShell here
/// to load them).
#[test]
fn zsh_fish_and_powershell_completions_are_written() {
    for (kind, opening) in [
        ("complete-zsh", "#compdef dedup"),
        ("complete-fish", "complete -c dedup"),
        ("complete-powershell", "Register-ArgumentCompleter"),
    ] {
        let script = generated(kind);
        assert!(script.contains(opening), "{kind}: {script}");
        assert!(script.contains("max-duplicate-ratio"), "{kind}");
    }
}
