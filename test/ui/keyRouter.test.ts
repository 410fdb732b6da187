/**
 * The key router (src/ui/keyRouter.ts) and the dialog reducers (src/ui/dialogKeys.ts) on their own: where each key of
 * a burst goes, in order, and what each key does to the preset dialog and the help.
 */
import {describe, expect, it} from "vitest";
import type {Key} from "ink";
import {KeyRouter, type RoutedKey} from "../../src/ui/keyRouter.js";
import {helpKey, presetDialogKey, PRESET_DIALOG_START, type PresetDialog, type PresetDialogOutcome} from "../../src/ui/dialogKeys.js";

const enter: Partial<Key> = {return: true};
const esc: Partial<Key> = {escape: true};

describe("KeyRouter", () => {
    /** a router with a base handler that logs its keys and opens the overlay on "o" (returning the rest of the text) */
    function routed() {
        const router = new KeyRouter();
        const log: string[] = [];
        let active = true;
        router.addBase({
            handler: (input) => {
                log.push(`base:${input}`);
                if (input.startsWith("o")) {
                    router.openOverlay();
                    return [...input.slice(1)].map((ch): RoutedKey => [ch, {}]);
                }
            },
            active: () => active
        });
        const second: string[] = [];
        router.addBase({handler: (input) => { second.push(input); }, active: () => true});
        return {router, log, second, setActive: (a: boolean) => { active = a; }};
    }

    it("keys before the overlay listens wait, and reach it in order when it does; the opening key goes no further", () => {
        const {router, log, second} = routed();
        router.dispatch("a", {});
        router.dispatch("oxy", {}); // opens; x and y, typed with it, are the overlay's
        router.dispatch("z", {});
        router.dispatch("", {downArrow: true});
        expect(log).toEqual(["base:a", "base:oxy"]);
        expect(second).toEqual(["a"]); // the key that opened the overlay is not the next handler's
        const got: string[] = [];
        router.attachOverlay((input, key) => got.push(key.downArrow ? "↓" : input));
        expect(got).toEqual(["x", "y", "z", "↓"]);
        router.dispatch("w", {});
        expect(got.at(-1)).toBe("w");
        expect(log).toHaveLength(2);
    });

    it("an overlay that closes part-way through its queue hands the keys after that one back", () => {
        const {router, log} = routed();
        router.dispatch("o", {});
        for (const ch of ["a", "!", "b", "c"]) router.dispatch(ch, {});
        const got: string[] = [];
        router.attachOverlay((input) => {
            got.push(input);
            if (input === "!") router.closeOverlay();
        });
        expect(got).toEqual(["a", "!"]);
        expect(log).toEqual(["base:o", "base:b", "base:c"]);
        expect(router.overlayOpen).toBe(false);
    });

    it("an overlay drawn after it closed gets nothing; a second one attaching to the same overlay is refused", () => {
        const {router} = routed();
        router.dispatch("o", {});
        const first: string[] = [];
        const detach = router.attachOverlay((input) => first.push(input));
        const second: string[] = [];
        router.attachOverlay((input) => second.push(input));
        router.dispatch("k", {});
        expect([first, second]).toEqual([["k"], []]);
        detach();
        router.dispatch("q", {}); // between a detach and the next attach (React re-running the effect): queued
        router.attachOverlay((input) => second.push(input));
        expect(second).toEqual(["q"]);
        router.closeOverlay();
        const late: string[] = [];
        router.attachOverlay((input) => late.push(input));
        router.dispatch("r", {});
        expect(late).toEqual([]);
    });

    it("inactive base handlers are skipped; a key Ink cannot name (F1) is no overlay's", () => {
        const {router, log, second, setActive} = routed();
        setActive(false);
        router.dispatch("o", {});
        expect(log).toEqual([]);
        expect(second).toEqual(["o"]);
        setActive(true);
        router.dispatch("o", {});
        router.dispatch("", {shift: false});
        const got: string[] = [];
        router.attachOverlay((input, key) => got.push(key.pageDown ? "PgDn" : input));
        router.dispatch("", {pageDown: true});
        expect(got).toEqual(["PgDn"]);
    });
});

/** keys through the preset dialog, as text (each character a key) with \r for Enter and \x1b for Esc */
function dialogRun(keys: string, originOf?: (name: string) => "user" | "shipped" | undefined, from: PresetDialog = PRESET_DIALOG_START) {
    let state = from;
    const outcomes: PresetDialogOutcome[] = [];
    for (const ch of keys) {
        const result = ch === "\r" ? presetDialogKey(state, "", enter, originOf) : ch === "\u001b" ? presetDialogKey(state, "", esc, originOf)
            : presetDialogKey(state, ch, {}, originOf);
        state = result.state;
        if (result.outcome) outcomes.push(result.outcome);
    }
    return {state, outcomes};
}

describe("presetDialogKey", () => {
    it("a name, Enter, a description, Enter save it once; keys after that do nothing", () => {
        const {state, outcomes} = dialogRun("calm\rquiet one\rmore\r\u001b");
        expect(outcomes).toEqual([{save: {name: "calm", description: "quiet one"}}]);
        expect(state.done).toBe(true);
    });

    it("Enter alone skips the description; Enter on no name, or Esc at any step, closes", () => {
        expect(dialogRun("calm\r\r").outcomes).toEqual([{save: {name: "calm", description: ""}}]);
        expect(dialogRun("\r").outcomes).toEqual([{close: true}]);
        expect(dialogRun("calm\rdesc\u001b").outcomes).toEqual([{close: true}]);
    });

    it("a name that cannot be one stays in the field with the reason; a shipped preset's name is refused", () => {
        const bad = dialogRun("two words\r");
        expect(bad.outcomes).toEqual([]);
        expect(bad.state).toMatchObject({step: "name", line: {text: "two words"}, problem: expect.stringContaining('"two words" cannot be a name')});
        const fixed = dialogRun("\r", undefined, {...bad.state, line: {text: "two-words", cursor: 9}});
        expect(fixed.state).toMatchObject({step: "description", name: "two-words"});
        expect(fixed.state.problem).toBeUndefined();
        const shipped = dialogRun("cheerful\r", () => "shipped");
        expect(shipped.state.problem).toMatch(/"cheerful" is a shipped preset and cannot be replaced/);
        expect(shipped.state.step).toBe("name");
    });

    it("a name of yours asks: y goes on to the description, any other key back to the name; text after the answer is typed on", () => {
        const mine = (name: string) => (name === "mine" ? "user" as const : undefined);
        expect(dialogRun("mine\ry\r", mine).outcomes).toEqual([{save: {name: "mine", description: ""}}]);
        const kept = dialogRun("mine\rn", mine).state;
        expect(kept).toMatchObject({step: "name", line: {text: ""}, problem: 'Kept your preset "mine": choose another name'});
        // an answer and text in one input (Ink hands typed text that comes together as one): the rest is the next field's
        const together = presetDialogKey(dialogRun("mine\r", mine).state, "nother", {}, mine);
        expect(together.state).toMatchObject({step: "name", line: {text: "other"}});
        const yes = presetDialogKey(dialogRun("mine\r", mine).state, "Yes sir", {}, mine);
        expect(yes.state).toMatchObject({step: "description", name: "mine", line: {text: "es sir"}});
    });
});

describe("helpKey", () => {
    it("↓/↑ and PgDn/PgUp scroll within the rows there are; any other key, or any key when it fits, closes", () => {
        const size = {last: 10, visible: 4};
        expect(helpKey(0, {downArrow: true}, size)).toBe(1);
        expect(helpKey(0, {upArrow: true}, size)).toBe(0);
        expect(helpKey(8, {pageDown: true}, size)).toBe(10);
        expect(helpKey(5, {pageUp: true}, size)).toBe(1);
        expect(helpKey(3, {}, size)).toBe("close");
        expect(helpKey(0, {downArrow: true}, {last: 0, visible: 20})).toBe("close");
    });
});
