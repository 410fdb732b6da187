/**
 * Writes a little-endian float32 NumPy .npy file (format 1.0, C order): what `steer-chat read --npy` saves and
 * `numpy.load` reads. The header is padded with spaces to a multiple of 64 bytes and ends in a newline, as NumPy does.
 */
/** what every .npy file starts with */
export const NPY_MAGIC = Uint8Array.from([0x93, ...Buffer.from("NUMPY", "latin1")]);

export function encodeNpyFloat32(shape: readonly number[], values: ArrayLike<number>): Buffer {
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== values.length) throw new Error(`shape (${shape.join(", ")}) needs ${count} values, got ${values.length}`);
    const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
    const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
    const prefix = 10; // magic (6), version (2), header length (2)
    const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
    const header = dict.padEnd(total - prefix - 1, " ") + "\n";
    if (header.length > 0xffff) throw new Error("the .npy header is too long for format 1.0");
    const out = Buffer.alloc(total + count * 4);
    out.set([...NPY_MAGIC, 1, 0]);
    out.writeUInt16LE(header.length, 8);
    out.write(header, prefix, "latin1");
    for (let i = 0; i < count; i++) out.writeFloatLE(values[i]!, total + i * 4);
    return out;
}
