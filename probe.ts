import {loadModel} from "./src/engine/runtime.js";
import {createConversation} from "./src/engine/conversation.js";
import {SteeringController} from "./src/steering/steeringController.js";
import {measureCalibration} from "./src/steering/calibration.js";
import {coefficientForSigma, sigmaPerLayer} from "./src/steering/strengthUnits.js";
import {CoherenceMeter} from "./src/steering/coherenceMeter.js";
process.env.STEER_CHAT_DATA_DIR = "/tmp/steer-probe-data";
const loaded = await loadModel("models/stories260K.gguf", {gpu: false, contextSize: 256, threads: 1});
const controller = SteeringController.create(loaded.context, loaded.model);
let t = performance.now();
const cal = await measureCalibration(loaded);
console.log("calibration ms", performance.now() - t, cal.layers.map((l) => l.typicalNorm.toFixed(3)).join(" "));
for (const name of ["sue", "tim"]) {
const entry = await controller.loadEntry(name, 0);
console.log(name, sigmaPerLayer(entry.vector, cal).map((l) => `${l.layer}:${l.sigma.toFixed(3)}`).join(" "), "coef for 1σ", coefficientForSigma(1, entry.vector, cal));
controller.update(() => controller.state.entries.length ? controller.state.remove(controller.state.entries[0]!.name).add(entry) : controller.state.add(entry));
const conv = createConversation(loaded, {mode: "raw", sampling: {temperature: 0, maxTokens: 48}, beforeTurn: () => controller.applyStaged()});
const meter = new CoherenceMeter(loaded);
for (const sigma of [0, 0.1, 0.25, 0.5, 1, 2, 4, -0.5, -1]) {
  const c = coefficientForSigma(sigma, entry.vector, cal);
  controller.update((s) => s.setCoefficient(entry.name, c));
  await conv.clear();
  const reply = await conv.send("Once upon a time");
  t = performance.now();
  const g = await meter.measure({context: reply.context!, reply: reply.tokens, steering: controller.appliedVector, text: reply.text});
  console.log(sigma, c.toFixed(3), "KL", g.kl.toFixed(3), "rep", g.repetition.toFixed(2), "ppl", g.perplexity.toFixed(2), "sppl", g.steeredPerplexity.toFixed(2), "ms", (performance.now()-t).toFixed(1), JSON.stringify(reply.text.slice(0, 90)));
}
await meter.free();
}
await loaded.dispose();
