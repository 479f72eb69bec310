//! Randomness from the operating system, for handshake keys and masking-key seeds.

/// 32 bytes from the OS CSPRNG, to seed a client's masking keys (RFC 6455 §10.3: masking
/// keys must not be predictable).
pub(crate) fn seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    fill(&mut seed);
    seed
}

/// Fill `buf` from the OS CSPRNG.
pub(crate) fn fill(buf: &mut [u8]) {
    // The OS RNG failing is not something a program can recover from; getrandom
    // documents it as practically impossible on supported platforms.
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}
