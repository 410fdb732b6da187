/** Seeded randomness, so the same seed always gives the same numbers (synthetic models, held-out splits, controls). */
/** mulberry32: a tiny seeded PRNG the same seed, the same sequence. */
export function seededRandom(seed: number) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6D2B79F5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
