//! Exit codes scripts can rely on, and the one error type of the CLI.

use std::process::ExitCode;

/// Why a command failed, which decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Wrong arguments or input files (exit 2).
    #[error("{0}")]
    Usage(String),
    /// No usable credentials: log in again (exit 3).
    #[error("{0}")]
    Auth(String),
    /// The portal answered with an error (exit 4).
    #[error("{0}")]
    Api(String),
    /// The portal could not be reached (exit 5).
    #[error("{0}")]
    Network(String),
    /// Some rows were rejected; the rest was done (exit 6).
    #[error("{0}")]
    Partial(String),
    /// Anything else (exit 1).
    #[error("{0}")]
    Other(String),
    /// Stopped by Ctrl-C after saving where to resume (exit 130, the shell's code for SIGINT).
    #[error("{0}")]
    Interrupted(String),
    /// The reader of stdout went away (`b24 list | head`): stop quietly, exit 0.
    #[error("the output was closed")]
    ClosedPipe,
}

impl CliError {
    /// The process exit code for this error.
    pub fn code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::Other(_) => 1,
            CliError::Usage(_) => 2,
            CliError::Auth(_) => 3,
            CliError::Api(_) => 4,
            CliError::Network(_) => 5,
            CliError::Partial(_) => 6,
            CliError::Interrupted(_) => 130,
            CliError::ClosedPipe => 0,
        })
    }
}

impl CliError {
    /// The same error with `note` on a line of its own after the message.
    pub fn with_note(self, note: &str) -> Self {
        let add = |m: String| format!("{m}\n{note}");
        match self {
            CliError::Usage(m) => CliError::Usage(add(m)),
            CliError::Auth(m) => CliError::Auth(add(m)),
            CliError::Api(m) => CliError::Api(add(m)),
            CliError::Network(m) => CliError::Network(add(m)),
            CliError::Partial(m) => CliError::Partial(add(m)),
            CliError::Other(m) => CliError::Other(add(m)),
            CliError::Interrupted(m) => CliError::Interrupted(add(m)),
            CliError::ClosedPipe => CliError::ClosedPipe,
        }
    }
}

impl From<bitrix24::Error> for CliError {
    fn from(e: bitrix24::Error) -> Self {
        use bitrix24::ErrorKind as K;
        let mut text = e.to_string();
        // The root cause ("connection refused", "dns error") is what a person can act on;
        // the library keeps URLs (which may hold secrets) out of its sources.
        if e.kind() == K::Transport {
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                let more = s.to_string();
                if !more.is_empty() && !text.contains(&more) {
                    text.push_str(": ");
                    text.push_str(&more);
                }
                source = s.source();
            }
        }
        match e.kind() {
            K::ReauthorizationRequired => CliError::Auth(format!(
                "{text}\nRun `b24 auth login` again for this profile."
            )),
            K::Api if credentials_refused(e.code()) => CliError::Auth(format!(
                "{text}\nThe portal refused the credentials: check the webhook URL, or run \
                 `b24 auth login` again."
            )),
            K::Api => CliError::Api(text),
            K::Transport => CliError::Network(text),
            K::InvalidInput | K::OAuthRedirect => CliError::Usage(text),
            _ => CliError::Other(text),
        }
    }
}

/// Answers that mean the credentials themselves do not work (exit 3, not 4).
fn credentials_refused(code: Option<&bitrix24::ApiErrorCode>) -> bool {
    use bitrix24::ApiErrorCode as C;
    matches!(
        code,
        Some(C::NoAuthFound | C::InvalidCredentials | C::InvalidToken | C::ExpiredToken)
    )
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Other(e.to_string())
    }
}

/// The result type of commands.
pub type CliResult<T = ()> = Result<T, CliError>;

/// Text for `--help`: what each exit code means.
pub const EXIT_CODES_HELP: &str =
    "Exit codes: 0 success, 1 other failure, 2 bad arguments or input, \
3 authorization needed (run `b24 auth login`), 4 the portal answered with an error, \
5 the portal could not be reached, 6 done but some rows were rejected, \
130 interrupted (run the same command again to resume).";
