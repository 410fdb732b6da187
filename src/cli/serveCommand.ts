/**
 * `steer-chat serve`: loads the model and its default steering (--vector, --layers, --preset, --steer), and serves
 * the OpenAI-compatible API until SIGTERM or Ctrl+C, which end the requests running, and exit 0. Binding anything
 * but a loopback address needs an API key: the server would otherwise be open to the network.
 */
import {UserFacingError} from "../errors.js";
import {loadModel} from "../engine/runtime.js";
import {isLoopback} from "../server/app.js";
import {openServer, serverSequences} from "../server/openServer.js";
import type {CliOptions} from "./options.js";
import {onInterrupt} from "./interrupts.js";
import {resolveModelWithProgress, stderrProgressBar} from "./progressBar.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8080;

export async function runServe(options: CliOptions, io: {stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream}): Promise<number> {
    if (options.model == null)
        throw new UserFacingError("serve needs a model", "pass one with --model, e.g. steer-chat serve --model demo");
    const host = options.host ?? DEFAULT_HOST;
    const apiKey = options.apiKey ?? (process.env.STEER_CHAT_API_KEY || undefined);
    if (apiKey != null && apiKey.trim() === "") throw new UserFacingError("--api-key is empty", "give the key clients must send");
    if (!isLoopback(host) && apiKey == null)
        throw new UserFacingError(`serve --host ${host} would open the model to the network without a key`,
            "pass --api-key KEY (or set STEER_CHAT_API_KEY), or leave --host out to listen on 127.0.0.1 only");

    const modelPath = await resolveModelWithProgress(options.model);
    const loaded = await loadModel(modelPath, {...options, sequences: serverSequences(options.parallel)});
    try {
        const progress = stderrProgressBar(process.stderr, "training", "prompts");
        const server = await openServer(loaded, {...options, queue: options.queue, apiKey,
            onNote: (note) => io.stderr.write(`steer-chat: ${note}\n`), onTrainProgress: progress.update,
            log: (line) => io.stderr.write(`steer-chat serve: ${line}\n`)}).finally(() => progress.end());
        const model = server.model;
        let address: string;
        try {
            address = await server.app.listen({host, port: options.port ?? DEFAULT_PORT});
        } catch (err) {
            await server.close();
            throw listenError(err, host, options.port ?? DEFAULT_PORT);
        }
        io.stdout.write(`steer-chat serve: listening on ${address} · model ${model.modelId} · steering ${model.defaultView().description}`
            + `${apiKey != null ? " · API key required" : ""}\n`);
        await new Promise<void>((resolve) => {
            const stopInterrupt = onInterrupt(() => resolve());
            process.once("SIGTERM", () => {
                stopInterrupt();
                resolve();
            });
        });
        io.stderr.write("steer-chat serve: shutting down\n");
        await server.close();
        return 0;
    } finally {
        await loaded.dispose();
    }
}

function listenError(err: unknown, host: string, port: number): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") return new UserFacingError(`Port ${port} on ${host} is in use`, "pick another with --port N (0 picks a free one)");
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN")
        return new UserFacingError(`Cannot listen on ${host}: it is not an address of this machine`, "give one of its addresses with --host, or leave it out");
    if (code === "EACCES") return new UserFacingError(`Not allowed to listen on port ${port}`, "ports below 1024 need privileges: pick a higher --port");
    return err instanceof Error ? err : new Error(String(err));
}
