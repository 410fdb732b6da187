import React, {useEffect, useRef, useState} from "react";
import {Box, Text} from "ink";
import {listVectors, type VectorListing} from "../../steering/vectorLibrary.js";
import {shortQuality} from "../../steering/vectorQuality.js";
import {errorMessage} from "../../errors.js";
import type {ModelShape} from "../../steering/steeringState.js";
import {listRecipes} from "../../training/recipes.js";
import type {PresetStore, StoredPreset} from "../../presets/presetStore.js";
import {describePreset} from "../../presets/applyPreset.js";
import {KEY_HELP, SLASH_COMMAND_HELP} from "../slashCommands.js";
import {helpColumnParts, nameColumn} from "../commands/helpText.js";
import {helpKey, presetDialogKey, PRESET_DIALOG_START, type OriginOf, type PresetDialog} from "../dialogKeys.js";
import {useOverlayInput} from "../useKeyRouter.js";
import {LineView} from "./LineInput.js";
import {SelectList, type SelectItem} from "./SelectList.js";

function Frame({title, children}: {title: string, children: React.ReactNode}) {
    return (
        <Box flexDirection="column" borderStyle="double" borderColor="cyan" paddingX={1}>
            <Text bold>{title}</Text>
            {children}
        </Box>
    );
}

/** rows the help overlay leaves to the rest of the screen: its frame and footer, the prompt, the status line, a spare */
export const HELP_CHROME_ROWS = 8;

/**
 * The keys and commands, in two columns that fit `columns`; when they do not fit the terminal's `rows`, a window
 * of them that ↑/↓ (PgUp/PgDn) scrolls, its title always on screen. Any other key closes it.
 */
export function HelpOverlay({onClose, columns = 100, rows = 40}: {onClose: () => void, columns?: number, rows?: number}) {
    const inner = Math.max(20, columns - 4); // the double border and its padding
    const column = nameColumn([...KEY_HELP, ...SLASH_COMMAND_HELP], inner);
    const lines = [...helpColumnParts(KEY_HELP, inner, "", column), ...helpColumnParts(SLASH_COMMAND_HELP, inner, "", column)];
    const visible = Math.max(1, Math.min(lines.length, rows - HELP_CHROME_ROWS));
    const last = lines.length - visible;
    // the first row in a ref, so keys in one burst scroll from where the one before left it (dialogKeys.ts)
    const topRef = useRef(0);
    const closed = useRef(false);
    const [top, setTop] = useState(0);
    const from = Math.min(top, last);
    useOverlayInput((_, key) => {
        if (closed.current) return;
        const next = helpKey(topRef.current, key, {last, visible});
        if (next === "close") {
            closed.current = true;
            return onClose();
        }
        topRef.current = next;
        setTop(next);
    });
    return (
        <Frame title={last > 0 ? "Keys and commands" : "Keys and commands (any key closes)"}>
            {lines.slice(from, from + visible).map((line, i) => <Text key={from + i}>
                <Text color="cyan">{line[0]}</Text>{line[1]}
            </Text>)}
            {last > 0 && <Text dimColor wrap="truncate-end">{`${from + 1}-${from + visible}/${lines.length} ↑↓ scroll · other keys close`}</Text>}
        </Frame>
    );
}

/** Why a listed vector cannot steer a model of this shape, or undefined when it fits. */
function misfit(v: VectorListing & {ok: true}, shape: ModelShape): string | undefined {
    if (v.nEmbd !== shape.nEmbd) return `does not fit: n_embd ${v.nEmbd}, the model has ${shape.nEmbd}`;
    if (v.topLayer > shape.nLayer - 1) return `does not fit: layer ${v.topLayer}, the model steers 1-${shape.nLayer - 1}`;
    return undefined;
}

/**
 * The picker's rows: each vector name once, as it resolves (user, trained for this model, shipped), marked when it
 * does not fit the model; then the recipes with no fitting vector, which adding trains for this model.
 */
export function vectorPickerItems(vectors: readonly VectorListing[], recipes: readonly string[],
    shape: ModelShape | undefined): SelectItem<string>[] {
    const items: SelectItem<string>[] = [];
    const fitting = new Set<string>();
    for (const v of vectors) {
        if (!v.ok || v.shadowedBy != null) continue;
        const problem = shape && misfit(v, shape);
        if (problem == null) fitting.add(v.name);
        const trains = problem != null && recipes.includes(v.name) ? " · adding trains its recipe" : "";
        items.push({label: v.name, value: v.name, hint: `${problem ?? `n_embd ${v.nEmbd} · ${v.layerCount} layers · ${shortQuality(v.quality)}`} · ${v.folder}${trains}`});
    }
    const listed = new Set(items.map((i) => i.value));
    for (const name of recipes)
        if (!fitting.has(name) && !listed.has(name)) items.push({label: name, value: name, hint: "recipe · train for this model"});
    return items;
}

/**
 * Picks a vector from the vector folders or a recipe; returns its name. `trainedDir` is the loaded model's trained
 * folder and `shape` its size (vectors that do not fit are marked).
 */
export function VectorPicker({trainedDir, shape, onPick, onClose}:
    {trainedDir?: string, shape?: ModelShape, onPick: (name: string) => void, onClose: () => void}) {
    const [vectors, setVectors] = useState<VectorListing[]>();
    useEffect(() => { void listVectors(trainedDir).then(setVectors); }, [trainedDir]);
    if (vectors == null) return <Frame title="Add a vector"><Text dimColor>reading the vector folders…</Text></Frame>;
    const items = vectorPickerItems(vectors, listRecipes().map((r) => r.name), shape);
    if (items.length === 0) {
        return <Frame title="Add a vector"><Text>No vectors found. Use /vector add PATH.gguf (Esc closes)</Text><SelectList items={[]} onSelect={onClose} onCancel={onClose} /></Frame>;
    }
    return (
        <Frame title="Add a vector (Enter adds at +1.00, Esc closes)">
            <SelectList items={items} onSelect={onPick} onCancel={onClose} />
        </Frame>
    );
}

export function PresetPicker({store, onPick, onClose}: {store: PresetStore, onPick: (name: string) => void, onClose: () => void}) {
    let presets: StoredPreset[] = [];
    let problem: string | undefined;
    try {
        presets = store.list();
    } catch (err) {
        problem = errorMessage(err); // the presets file became unreadable since start-up
    }
    return (
        <Frame title="Load a preset (Enter loads, Esc closes)">
            {problem != null ? <Text color="red">{problem}</Text> : null}
            {presets.length === 0 && problem == null ? <Text dimColor>No presets yet: Ctrl+S saves the current steering</Text> : null}
            <SelectList items={presets.map(({preset, origin}) => ({label: preset.name, value: preset.name, hint: `${origin} · ${describePreset(preset)}`}))}
                onSelect={onPick} onCancel={onClose} />
        </Frame>
    );
}

/**
 * Ctrl+S: a name, then a description (any text; Enter alone skips it). A name of the user's presets asks first (y
 * replaces it, any other key goes back to the name), as the CLI asks for --force; a shipped preset's name is refused
 * at once, since the save would be. Its keys are a pure reducer (dialogKeys.ts) over the dialog kept in a ref.
 */
export function PresetNamePrompt({onSave, onClose, originOf}: {onSave: (name: string, description: string) => void, onClose: () => void,
    /** whose preset a name already is (the store's), or undefined when there is none of that name */
    originOf?: OriginOf}) {
    const dialogRef = useRef<PresetDialog>(PRESET_DIALOG_START);
    const [dialog, setDialog] = useState(PRESET_DIALOG_START);
    useOverlayInput((input, key) => {
        const {state, outcome} = presetDialogKey(dialogRef.current, input, key, originOf);
        if (state === dialogRef.current) return;
        dialogRef.current = state;
        setDialog(state);
        if (outcome == null) return;
        if ("save" in outcome) onSave(outcome.save.name, outcome.save.description);
        else onClose();
    });
    const {step, line, name, confirming, problem} = dialog;
    return (
        <Frame title="Save the steering as a preset (Enter saves, Esc closes)">
            {step === "confirm"
                ? <Text color="yellow">You already have a preset named "{confirming}": replace it? (y replaces it, any other key keeps it, Esc closes)</Text>
                : step === "name"
                ? <Box><Text>name: </Text><LineView line={line} indent={10} /></Box>
                : <Box><Text>name: {name} · description (Enter alone skips): </Text><LineView line={line} indent={50} /></Box>}
            {problem != null && <Text color="red">{problem}</Text>}
        </Frame>
    );
}
