import type {LayerRange} from "../../steering/mixControlVectors.js";
import {parseLayerRange} from "../../steering/inputGrammar.js";
import {defineCommand, UsageError, words} from "./command.js";

export const layers = defineCommand({
    kind: "layers", names: ["/layers"], usage: "/layers NAME A-B", help: "apply a vector to layers A..B only (/layers NAME all: every layer)",
    safeWhileBusy: true,
    parse(rest): {name: string, range: LayerRange | undefined} {
        const [name, range] = words(rest);
        if (name == null || range == null) throw new UsageError("usage: /layers NAME A-B (or /layers NAME all)");
        return {name, range: range === "all" ? undefined : parseLayerRange(range)};
    },
    run({name, range}, {session, note}) {
        const {state, warning} = session.setLayers(name, range);
        note([`Next turn: ${state.describe()}`, ...warning != null ? [warning] : []].join("\n"));
    }
});
