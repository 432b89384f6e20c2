//! The integration tests: the real binary on real files, one module per area, sharing [`util`].
//!
//! One test binary instead of one per file: the crate is linked once.

mod apply;
mod ci;
mod determinism;
mod errors;
mod generate;
mod golden;
mod html;
mod inputs;
mod oracle;
mod partial;
mod random;
mod reference;
mod seeds;
mod spelling;
mod stage;
mod templates;
mod text;
mod util;
