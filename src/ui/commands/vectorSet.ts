import {parseStrength} from "../../steering/inputGrammar.js";
import {defineCommand, UsageError, words} from "./command.js";

export const vectorSet = defineCommand({
    kind: "vectorSet", names: ["/vector set"], usage: "/vector set NAME C", help: "set a vector's coefficient (or its strength: 0.5σ)",
    safeWhileBusy: true,
    /** the value as --vector NAME:C or NAME@Xσ reads it (parseStrength): the same numbers, the same bounds */
    parse(rest): {name: string, coefficient?: number, sigma?: number} {
        const [name, value, extra] = words(rest);
        if (name == null || value == null || extra != null)
            throw new UsageError("usage: /vector set NAME C (C a number, e.g. 0.5, or a strength, e.g. 0.5σ)");
        return {name, ...parseStrength(value, name)};
    },
    run: async ({name, coefficient, sigma}, {session, note}) => note(`Next turn: ${(sigma != null ? await session.setStrength(name, sigma)
        : session.stage((s) => s.setCoefficient(name, coefficient!))).describe()}`)
});
