//! `kube-immutable`: tells whether Kubernetes containers are immutable.
//!
//! A thin binary: decode the arguments, read the inputs ([`inputs`]), call
//! the core ([`check`]), encode the result ([`output`]). No rule logic here.
//!
//! Exit codes, for every subcommand: 0 when no error-level finding, 1 when
//! there is one, 2 when an input could not be read or parsed, had input
//! errors, or the arguments or settings were invalid. 2 wins over 1.

// Parsing allocates and frees many small nodes: mimalloc does it faster
// than the system allocator, on one thread and on several (Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod check;
mod config;
mod fix;
mod inputs;
mod output;
mod playground;

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kube_immutable_core::rules::{self, FixAvailability};
use kube_immutable_core::{Level, Settings, RULES};

use crate::check::{exit, Run};
use crate::output::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "kube-immutable",
    version,
    about = "Tell whether Kubernetes containers are immutable, and show exactly where they are not.",
    after_help = "Exit codes: 0 no error-level finding, 1 error-level findings, \
                  2 unreadable input, input errors or invalid arguments (2 wins over 1)."
)]
struct Cli {
    /// When to use colours (`auto` honours NO_COLOR and CLICOLOR_FORCE).
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check manifests: files, folders (.yaml, .yml, .json, recursively) or `-` for stdin.
    Check(CheckArgs),
    /// Fix manifests: print the fixed text (one input: exactly the fixed
    /// text, ready for `kubectl apply -f -`), a diff, or rewrite the files.
    Fix(FixArgs),
    /// List the rules with their default level and whether they can be fixed.
    Rules(RulesArgs),
    /// Print a rule's documentation (Markdown).
    Explain {
        /// A rule id, as `kube-immutable rules` lists them.
        rule: String,
        /// Language of the documentation.
        #[arg(long, value_enum, default_value_t = Lang::En)]
        lang: Lang,
    },
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Files or folders to check; `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Settings file (YAML or JSON): rule levels and exemptions.
    #[arg(long, value_name = "FILE")]
    config: Option<String>,
    /// Language of the messages.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
    /// Files checked at once (default: the available cores; 1 checks them
    /// one after another). The output and exit code do not depend on it.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

#[derive(Debug, Args)]
struct FixArgs {
    /// Files or folders to fix; `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Show a unified diff instead of the fixed text.
    #[arg(long, conflicts_with = "write")]
    diff: bool,
    /// Rewrite the files in place (atomically; stdin is printed).
    #[arg(long)]
    write: bool,
    /// Also apply unsafe fixes (they may break the workload: the image may
    /// need root or a host namespace, or write outside the mounted paths).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Settings file (YAML or JSON): rule levels and exemptions.
    #[arg(long, value_name = "FILE")]
    config: Option<String>,
    /// Language of the messages.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
}

#[derive(Debug, Args)]
struct RulesArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    format: RulesFormat,
    /// Language of the summaries.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    lang: Lang,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Code frames and a summary line.
    Text,
    /// `{"findings": [...], "errors": [...], "summary": {...}}`.
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.color {
        Color::Auto => {}
        Color::Always => anstream::ColorChoice::Always.write_global(),
        Color::Never => anstream::ColorChoice::Never.write_global(),
    }
    let code = match cli.command {
        Command::Check(args) => run_check(&args),
        Command::Fix(args) => run_fix(&args),
        Command::Rules(args) => list_rules(&args),
        Command::Explain { rule, lang } => explain(&rule, lang),
    };
    ExitCode::from(code)
}

/// The settings of `--config`, or the defaults; a refused file is shown as
/// a frame on stderr and ends the run with exit 2.
fn load_settings(config: Option<&str>, lang: Lang) -> Result<Settings, u8> {
    match config {
        None => Ok(Settings::default()),
        Some(file) => config::load(file).map_err(|e| {
            eprint_styled(&output::text::render_config_error(&e, lang));
            exit::INPUT_ERROR
        }),
    }
}

fn run_check(args: &CheckArgs) -> u8 {
    let settings = match load_settings(args.config.as_deref(), args.lang) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let jobs = args.jobs.map_or_else(check::default_jobs, usize::from);
    let run = Run::check(&args.paths, &settings, jobs, args.format == Format::Text);
    match args.format {
        Format::Text => print_styled(&output::text::render(&run, args.lang)),
        // Data for other tools: never styled, so written as is.
        Format::Json => print_plain(&output::json::render(&run, args.lang)),
        Format::Sarif => print_plain(&output::sarif::render(&run, args.lang)),
    }
    let code = run.exit_code();
    // Every input's text and findings would be freed one by one on the way
    // out; the process ends here, and the OS takes the memory back at once.
    std::mem::forget(run);
    code
}

fn run_fix(args: &FixArgs) -> u8 {
    let settings = match load_settings(args.config.as_deref(), args.lang) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let mode = if args.write {
        fix::Mode::Write
    } else if args.diff {
        fix::Mode::Diff
    } else {
        fix::Mode::Print
    };
    let options = kube_immutable_core::fix::FixOptions {
        unsafe_fixes: args.unsafe_fixes,
    };
    let out = fix::run(&args.paths, &settings, options, mode, args.lang);
    // The fixed text is data for other tools: never styled.
    print_plain(&out.stdout);
    eprint_styled(&out.stderr);
    out.code
}

/// The level a rule runs at by default, as settings write it.
fn default_level(r: &rules::RuleMeta) -> &'static str {
    match r.default_level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Off => "off",
    }
}

fn list_rules(args: &RulesArgs) -> u8 {
    let fix = |r: &rules::RuleMeta| match r.fix {
        FixAvailability::Always => "always",
        FixAvailability::Sometimes => "sometimes",
        FixAvailability::None => "no",
    };
    let out = match args.format {
        RulesFormat::Json => {
            let list: Vec<_> = RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "level": default_level(r),
                        "fix": r.fix,
                        "summary": args.lang.pick(r.summary.en, r.summary.fr),
                        "url": r.url(),
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
            s.push('\n');
            s
        }
        RulesFormat::Text => {
            let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let (id, level, fixable, summary) = match args.lang {
                Lang::En => ("RULE", "LEVEL", "FIX", "SUMMARY"),
                Lang::Fr => ("RÈGLE", "NIVEAU", "CORR.", "RÉSUMÉ"),
            };
            let bold = anstyle::Style::new().bold();
            let mut s = format!("{bold}{id:width$}  {level:7}  {fixable:9}  {summary}{bold:#}\n");
            for r in RULES {
                s.push_str(&format!(
                    "{:width$}  {:7}  {:9}  {}\n",
                    r.id,
                    default_level(r),
                    fix(r),
                    args.lang.pick(r.summary.en, r.summary.fr),
                ));
            }
            s
        }
    };
    print_styled(&out);
    exit::OK
}

fn explain(rule: &str, lang: Lang) -> u8 {
    match rules::by_id(rule) {
        Some(r) => {
            let mut docs = r.docs_markdown_in(lang.code());
            docs.push_str(&format!(
                "\n{} {}\n",
                lang.pick("Docs:", "Documentation :"),
                r.url_in(lang.code())
            ));
            if let Some(link) = playground::rule_link(r) {
                let link = match lang {
                    Lang::Fr => link.replacen("#v1=", "?lang=fr#v1=", 1),
                    _ => link,
                };
                docs.push_str(&format!(
                    "{} {link}\n",
                    lang.pick(
                        "Try it in the playground:",
                        "Essayez-la dans le bac à sable :"
                    )
                ));
            }
            print_styled(&docs);
            exit::OK
        }
        None => {
            let known: Vec<_> = rules::ids().collect();
            eprint_styled(&match lang {
                Lang::En => format!(
                    "error: unknown rule `{rule}`; known rules: {}\n",
                    known.join(", ")
                ),
                Lang::Fr => format!(
                    "erreur : règle `{rule}` inconnue ; règles connues : {}\n",
                    known.join(", ")
                ),
            });
            exit::INPUT_ERROR
        }
    }
}

/// Writes to stdout, dropping colours where they do not belong. A closed
/// pipe (`| head`) is not an error.
fn print_styled(text: &str) {
    let mut out = anstream::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Writes to stdout as is (JSON, SARIF). A closed pipe is not an error.
fn print_plain(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn eprint_styled(text: &str) {
    let mut err = anstream::stderr().lock();
    let text = if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    };
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}
