/**
 * Entry point: parse flags, run the command, and turn every failure into one clear line on stderr with a
 * non-zero exit code (a stack trace only with --debug).
 */
import {asUserFacing, errorMessage} from "../errors.js";
import {runAsk} from "./askCommand.js";
import {runVectors} from "./vectorsCommand.js";
import {runPreset} from "./presetCommand.js";
import {runImport, runTrain} from "./trainCommand.js";
import {runTrainDescribed} from "./trainDescribed.js";
import {runRead} from "./readCommand.js";
import {runCalibrate} from "./calibrateCommand.js";
import {helpFor, parseCli, type CliOptions} from "./options.js";
import {packageVersion} from "./version.js";
import {keepFileSizeSignalHarmless, ownInterrupts} from "./interrupts.js";

export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

export async function main(argv: string[]): Promise<number> {
    let options: CliOptions | undefined;
    ownInterrupts();
    keepFileSizeSignalHarmless();
    try {
        options = parseCli(argv);
        if (options.help) {
            process.stdout.write(helpFor(argv, options, packageVersion()) + "\n");
            return 0;
        }
        if (options.version) {
            process.stdout.write(packageVersion() + "\n");
            return 0;
        }
        if (options.command === "ask") return await runAsk(options, {stdout: process.stdout, stdin: process.stdin});
        if (options.command === "vectors") return await runVectors(process.stdout, options.model);
        if (options.command === "preset") return await runPreset(options, process.stdout, process.stderr);
        if (options.command === "train")
            return await (options.describe != null ? runTrainDescribed : runTrain)(options, process.stdout, process.stderr);
        if (options.command === "import") return await runImport(options, process.stderr);
        if (options.command === "read") return await runRead(options, process.stdout, process.stderr);
        if (options.command === "calibrate") return await runCalibrate(options, process.stdout, process.stderr);
        if (options.command === "serve") {
            const {runServe} = await import("./serveCommand.js"); // fastify loads only for the server
            return await runServe(options, {stdout: process.stdout, stderr: process.stderr});
        }
        const {runChat} = await import("./chatCommand.js"); // Ink and React load only for the chat
        return await runChat(options);
    } catch (err) {
        const debug = options?.debug ?? argv.includes("--debug");
        // a system error (ENOSPC, ENOTDIR, ...) is explained like any other error meant for the user
        const userFacing = asUserFacing(err);
        process.stderr.write(`steer-chat: ${errorMessage(err)}\n`);
        if (debug && err instanceof Error && userFacing == null) process.stderr.write(`${err.stack}\n`);
        return userFacing != null ? EXIT_USAGE : EXIT_FAILURE;
    }
}
