import {checkCoefficient} from "../../steering/steeringState.js";
import {defineCommand, UsageError, words} from "./command.js";

export const vectorSet = defineCommand({
    kind: "vectorSet", names: ["/vector set"], usage: "/vector set NAME C", help: "set a vector's coefficient", safeWhileBusy: true,
    parse(rest) {
        const [name, value] = words(rest);
        const coefficient = Number(value);
        if (name == null || value == null || Number.isNaN(coefficient)) throw new UsageError("usage: /vector set NAME C (C a number, e.g. 0.5)");
        return {name, coefficient: checkCoefficient(coefficient, name)};
    },
    run: ({name, coefficient}, {session, note}) => note(`Next turn: ${session.stage((s) => s.setCoefficient(name, coefficient)).describe()}`)
});
