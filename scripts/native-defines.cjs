// Prints the stamps binding.gyp compiles into the helper: the node-llama-cpp version whose AddonContext layout it
// was built against, and a fingerprint of its sources. The loader refuses a helper built for another version.
const {buildEnv} = require("./native-build-lib.cjs");

const env = process.env.STEER_NATIVE_NLC_VERSION ? process.env : buildEnv();
process.stdout.write([`STEER_NLC_VERSION="${env.STEER_NATIVE_NLC_VERSION}"`, `STEER_NATIVE_SOURCE="${env.STEER_NATIVE_SOURCE}"`]
    .map((d) => JSON.stringify(d)).join(" "));
