/**
 * A bounded walk over a GGUF header (KV pairs and tensor infos) that checks every length and count against the bytes
 * actually present. node-llama-cpp's readGgufFileInfo trusts these numbers (a corrupt n_dims of 5 million makes it
 * read 5 million phantom dims past the end), so untrusted files pass through this first. Pure.
 */
const SCALAR_SIZES: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;
const MAX_DIMS = 4; // GGML_MAX_DIMS

class Truncated extends Error {}
/** the walk reached the end of the bytes it was given, but not of the file: nothing wrong seen so far */
class BeyondPrefix extends Error {}

/**
 * Returns what is wrong with the header, or undefined when every length fits in the file.
 * `bytes` may be only the start of the file when `fileSize` says how long the whole file is (a model's header can
 * be megabytes of vocabulary): counts and lengths are checked against the file, and the walk stops without a verdict
 * where the prefix ends.
 */
export function checkGgufStructure(bytes: Uint8Array, fileSize: number = bytes.byteLength): string | undefined {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    const need = (n: number | bigint) => {
        if (BigInt(at) + BigInt(n) > BigInt(fileSize)) throw new Truncated();
    };
    const read = (n: number) => {
        need(n);
        if (at + n > bytes.byteLength) throw new BeyondPrefix();
    };
    const u32 = () => { read(4); const v = view.getUint32(at, true); at += 4; return v; };
    const u64 = () => { read(8); const v = view.getBigUint64(at, true); at += 8; return v; };
    const skipString = () => { const len = u64(); need(len); at += Number(len); };
    const skipValue = (type: number, depth: number): string | undefined => {
        if (type === TYPE_STRING) { skipString(); return undefined; }
        if (type === TYPE_ARRAY) {
            if (depth > 0) return "it has nested metadata arrays";
            const itemType = u32();
            const count = u64();
            const size = SCALAR_SIZES[itemType];
            if (size != null) { need(count * BigInt(size)); at += Number(count) * size; return undefined; }
            if (itemType !== TYPE_STRING) return `it has a metadata array of unknown type ${itemType}`;
            need(count * 8n); // each string needs at least its length field
            for (let i = 0n; i < count; i++) skipString();
            return undefined;
        }
        const size = SCALAR_SIZES[type];
        if (size == null) return `it has a metadata value of unknown type ${type}`;
        need(size);
        at += size;
        return undefined;
    };
    try {
        if (u32() !== 0x46554747) return "it is not a GGUF file";
        const version = u32();
        if (version !== 2 && version !== 3) return `it has unsupported GGUF version ${version}`;
        const tensorCount = u64();
        const kvCount = u64();
        // each key/value takes at least 13 bytes and each tensor info at least 28
        need(kvCount * 13n + tensorCount * 28n);
        for (let i = 0n; i < kvCount; i++) {
            skipString();
            const problem = skipValue(u32(), 0);
            if (problem) return problem;
        }
        for (let i = 0n; i < tensorCount; i++) {
            skipString();
            const nDims = u32();
            if (nDims === 0 || nDims > MAX_DIMS) return `a tensor has ${nDims} dimensions (at most ${MAX_DIMS} allowed)`;
            need(nDims * 8 + 4 + 8);
            at += nDims * 8 + 4 + 8;
        }
        return undefined;
    } catch (err) {
        if (err instanceof Truncated) return "its header runs past the end of the file (truncated or corrupt?)";
        if (err instanceof BeyondPrefix) return undefined;
        throw err;
    }
}
