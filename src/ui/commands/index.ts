/**
 * Every slash command, in the order /help lists them. Adding a command is one file beside this one and one line here.
 */
import {calibrate} from "./calibrate.js";
import {clear} from "./clear.js";
import {compare} from "./compare.js";
import {exit} from "./exit.js";
import {help} from "./help.js";
import {history} from "./history.js";
import {layers} from "./layers.js";
import {presetList} from "./presetList.js";
import {presetLoad} from "./presetLoad.js";
import {presetSave} from "./presetSave.js";
import {readout} from "./readout.js";
import {reeval} from "./reeval.js";
import {regen} from "./regen.js";
import {save} from "./save.js";
import {set} from "./set.js";
import {settings} from "./settings.js";
import {steerCode} from "./steerCode.js";
import {steerOff} from "./steerOff.js";
import {steerPolicy} from "./steerPolicy.js";
import {steering} from "./steering.js";
import {sweep} from "./sweep.js";
import {system} from "./system.js";
import {train} from "./train.js";
import {vectorAdd} from "./vectorAdd.js";
import {vectorEnable} from "./vectorEnable.js";
import {vectorNew} from "./vectorNew.js";
import {vectorRemove} from "./vectorRemove.js";
import {vectorSet} from "./vectorSet.js";
import {when} from "./when.js";

export const COMMANDS = [
    help, vectorAdd, vectorNew,
    vectorSet, vectorEnable, vectorRemove, layers, steerOff, steerPolicy, steerCode, when, steering, presetSave, presetLoad, presetList,
    regen, compare, sweep, calibrate, save, set, settings, train, readout, history, reeval, clear, system, exit
] as const;

/** A command as the parser hands it over: its kind and its arguments. */
type ParsedOf<C> = C extends {kind: infer K, parse: (...args: never[]) => infer A} ? {kind: K} & A : never;
export type ParsedCommand = ParsedOf<typeof COMMANDS[number]>;

export type CommandKind = ParsedCommand["kind"];
