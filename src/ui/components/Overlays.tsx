import React, {useEffect, useState} from "react";
import {Box, Text, useInput} from "ink";
import TextInput from "ink-text-input";
import {listVectors, type VectorListing} from "../../steering/vectorLibrary.js";
import {shortQuality} from "../../steering/vectorQuality.js";
import type {PresetStore} from "../../presets/presetStore.js";
import {describePreset} from "../../presets/applyPreset.js";
import {KEY_HELP, SLASH_COMMAND_HELP} from "../slashCommands.js";
import {SelectList} from "./SelectList.js";

function Frame({title, children}: {title: string, children: React.ReactNode}) {
    return (
        <Box flexDirection="column" borderStyle="double" borderColor="cyan" paddingX={1}>
            <Text bold>{title}</Text>
            {children}
        </Box>
    );
}

export function HelpOverlay({onClose}: {onClose: () => void}) {
    useInput(() => onClose());
    return (
        <Frame title="Keys and commands (any key closes)">
            {KEY_HELP.map(([k, d]) => <Text key={k}><Text color="cyan">{k.padEnd(24)}</Text>{d}</Text>)}
            {SLASH_COMMAND_HELP.map(([c, d]) => <Text key={c}><Text color="cyan">{c.padEnd(24)}</Text>{d}</Text>)}
        </Frame>
    );
}

/** Picks a vector from the vector folders; returns its name. */
export function VectorPicker({onPick, onClose}: {onPick: (name: string) => void, onClose: () => void}) {
    const [vectors, setVectors] = useState<VectorListing[]>();
    useEffect(() => { void listVectors().then(setVectors); }, []);
    if (vectors == null) return <Frame title="Add a vector"><Text dimColor>reading the vector folders…</Text></Frame>;
    const usable = vectors.filter((v) => v.ok);
    if (usable.length === 0) {
        return <Frame title="Add a vector"><Text>No vectors found. Use /vector add PATH.gguf (Esc closes)</Text><SelectList items={[]} onSelect={onClose} onCancel={onClose} /></Frame>;
    }
    return (
        <Frame title="Add a vector (Enter adds at +1.00, Esc closes)">
            <SelectList items={usable.map((v) => ({label: v.name, value: v.name, hint: v.ok ? `n_embd ${v.nEmbd} · ${v.layerCount} layers · ${v.folder} · ${shortQuality(v.quality)}` : ""}))}
                onSelect={onPick} onCancel={onClose} />
        </Frame>
    );
}

export function PresetPicker({store, onPick, onClose}: {store: PresetStore, onPick: (name: string) => void, onClose: () => void}) {
    const presets = store.list();
    return (
        <Frame title="Load a preset (Enter loads, Esc closes)">
            {presets.length === 0 ? <Text dimColor>No presets yet: Ctrl+S saves the current steering</Text> : null}
            <SelectList items={presets.map(({preset, origin}) => ({label: preset.name, value: preset.name, hint: `${origin} · ${describePreset(preset)}`}))}
                onSelect={onPick} onCancel={onClose} />
        </Frame>
    );
}

export function PresetNamePrompt({onSave, onClose}: {onSave: (name: string) => void, onClose: () => void}) {
    const [name, setName] = useState("");
    useInput((_, key) => { if (key.escape) onClose(); });
    return (
        <Frame title="Save the steering as a preset (Enter saves, Esc closes)">
            <Box><Text>name: </Text><TextInput value={name} onChange={setName} onSubmit={(value) => (value.trim() ? onSave(value.trim()) : onClose())} /></Box>
        </Frame>
    );
}
