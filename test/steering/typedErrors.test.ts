/**
 * Errors are told apart by their class, not their text: a name no folder has, a vector made for another model and
 * a name that is not loaded each have their own class, and a recipe fallback keys on those classes.
 */
import {describe, expect, it} from "vitest";
import {UserFacingError, VectorMismatchError, VectorNotFoundError, VectorNotLoadedError} from "../../src/errors.js";
import {findVectorFile} from "../../src/steering/vectorLibrary.js";
import {fitVectorToModel, SteeringState} from "../../src/steering/steeringState.js";
import type {ControlVector} from "../../src/steering/controlVector.js";

function thrown(f: () => unknown): unknown {
    try { f(); } catch (err) { return err; }
    return undefined;
}

const vector: ControlVector = {nEmbd: 8, directions: new Map([[1, new Float32Array(8).fill(0.5)]])};

describe("typed steering errors", () => {
    it("a name no vector folder has is a VectorNotFoundError naming it", () => {
        const err = thrown(() => findVectorFile("no-such-vector-anywhere"));
        expect(err).toBeInstanceOf(VectorNotFoundError);
        expect(err).toBeInstanceOf(UserFacingError);
        expect((err as VectorNotFoundError).vectorName).toBe("no-such-vector-anywhere");
    });

    it("a vector of another width is a VectorMismatchError carrying both widths", () => {
        const err = thrown(() => fitVectorToModel("wide", "wide.gguf", vector, {nEmbd: 16, nLayer: 4}));
        expect(err).toBeInstanceOf(VectorMismatchError);
        expect(err).toMatchObject({vectorEmbd: 8, modelEmbd: 16});
        expect(thrown(() => fitVectorToModel("ok", "ok.gguf", vector, {nEmbd: 8, nLayer: 4}))).toBeUndefined();
    });

    it("a name that is not loaded is a VectorNotLoadedError, not a not-found", () => {
        const err = thrown(() => new SteeringState().get("calm"));
        expect(err).toBeInstanceOf(VectorNotLoadedError);
        expect(err).not.toBeInstanceOf(VectorNotFoundError);
    });
});
