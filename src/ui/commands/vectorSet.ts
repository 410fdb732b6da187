import {checkCoefficient} from "../../steering/steeringState.js";
import {defineCommand, UsageError, words} from "./command.js";

/** `0.5σ` or `0.5s`: a strength in the model's own units */
const SIGMA = /^([-+]?(?:\d+\.?\d*|\.\d+))(σ|s)$/i;

export const vectorSet = defineCommand({
    kind: "vectorSet", names: ["/vector set"], usage: "/vector set NAME C", help: "set a vector's coefficient (or its strength: 0.5σ)",
    safeWhileBusy: true,
    parse(rest): {name: string, coefficient?: number, sigma?: number} {
        const [name, value] = words(rest);
        const sigma = value != null ? SIGMA.exec(value) : null;
        if (name != null && sigma != null) return {name, sigma: Number(sigma[1])};
        const coefficient = Number(value);
        if (name == null || value == null || Number.isNaN(coefficient))
            throw new UsageError("usage: /vector set NAME C (C a number, e.g. 0.5, or a strength, e.g. 0.5σ)");
        return {name, coefficient: checkCoefficient(coefficient, name)};
    },
    run: async ({name, coefficient, sigma}, {session, note}) => note(`Next turn: ${(sigma != null ? await session.setStrength(name, sigma)
        : session.stage((s) => s.setCoefficient(name, coefficient!))).describe()}`)
});
