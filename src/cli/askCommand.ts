/**
 * `steer-chat ask`: one prompt in, the generated text out on stdout, exit 0 — for scripts, tests and benchmarks.
 * Progress and errors go to stderr so stdout holds only the reply.
 */
import {displayText, forTerminal} from "../displayText.js";
import {UserFacingError} from "../errors.js";
import {loadModel} from "../engine/runtime.js";
import type {CliOptions} from "./options.js";
import {onInterrupt} from "./interrupts.js";
import {resolveModelWithProgress, stderrProgressBar} from "./progressBar.js";
import {openSession} from "../session/openSession.js";
import {describeDecision} from "../steering/conditionGate.js";

export async function runAsk(options: CliOptions, io: {stdout: NodeJS.WriteStream, stdin: NodeJS.ReadStream}): Promise<number> {
    if (options.model == null)
        throw new UserFacingError("ask needs a model", 'pass one with --model, e.g. steer-chat ask "Hi" --model model.gguf');
    const prompt = options.prompt ?? (io.stdin.isTTY ? undefined : await readAll(io.stdin));
    if (prompt == null || prompt === "")
        throw new UserFacingError("ask needs a prompt", 'pass it as an argument (steer-chat ask "Hello") or on stdin');

    const modelPath = await resolveModelWithProgress(options.model);
    const loaded = await loadModel(modelPath, options);
    try {
        // a recipe name trains a vector for this model on first use: show it, it can take a while on a big model
        const progress = stderrProgressBar(process.stderr, "training", "prompts");
        const setup = new AbortController();
        const stopSetup = onInterrupt(() => setup.abort());
        const {session, notes, checkSteering} = await openSession(loaded, {...options, mode: options.raw ? "raw" : "chat",
            onTrainProgress: progress.update, signal: setup.signal}).finally(() => {
            stopSetup();
            progress.end();
        });
        // ask's stdout is only the reply: notes (e.g. an architecture that ignores vectors) go to stderr when steering
        // was asked for; how the conversation runs (a replaced chat template) always
        const asked = options.vectors.length > 0 || options.preset != null;
        // whether steering acts: checked before the reply (about 10 tokens; see steeringActsCheck.ts), and only when
        // its warning would be shown
        const ignored = asked ? await checkSteering?.() : undefined;
        if (ignored) notes.push(ignored);
        for (const note of notes) if (asked || session.conversation.notes?.includes(note)) process.stderr.write(`steer-chat: ${displayText(note, 1000)}\n`);
        // Ctrl+C stops the reply and keeps what was written
        const controller = new AbortController();
        const stopReply = onInterrupt(() => controller.abort());
        // on a terminal the reply's line is ended before the notes that follow it on stderr (the gate's decision)
        let lineEnded = false;
        const endLine = () => {
            if (!lineEnded && io.stdout.isTTY) io.stdout.write("\n");
            lineEnded = true;
        };
        try {
            // the model's text exactly as generated for a script (a pipe or a file); escaped on a terminal, where a
            // token holding an escape sequence would clear the screen or retitle the window
            const onText = (chunk: string) => io.stdout.write(forTerminal(chunk, io.stdout));
            const {reply, gate} = await session.send(prompt, {signal: controller.signal, onText});
            endLine();
            // the condition gate (--when): its decision and the prompt's z, beside the reply (stdout holds only the reply)
            if (gate) process.stderr.write(`steer-chat: ${displayText(describeDecision(gate), 1000)}\n`);
            if (reply.stopReason === "contextFull") process.stderr.write("steer-chat: the reply stopped: the context is full (--context-size)\n");
        } finally {
            stopReply();
            endLine();
        }
        return 0;
    } finally {
        await loaded.dispose();
    }
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}
