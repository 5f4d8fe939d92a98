// paseo's interop peer: a matter.js on/off light, commissionable, on loopback only
// (docs/INTEROP.md). Our own script: the matter.js examples package is
// not published on npm.
//
// Configuration comes from environment variables only: matter.js turns every `--a-b=x` flag
// into its own configuration variable `a.b` (`@matter/general`
// `src/environment/VariableService.ts`), so ours must not look like flags.
//
//   PASEO_PEER_PORT        UDP port on 127.0.0.1 and ::1 (default 5540)
//   MATTER_STORAGE_PATH    where the device keeps its state (default: .peer-storage beside this
//                          script). Delete it before start for a factory-fresh device; keep it
//                          to test resumption across restarts. (MATTER_STORAGE_CLEAR does not
//                          wipe a 0.17.9 ServerNode: seen on loopback.)
//   MATTER_LOG_LEVEL       fatal | error | warn | notice | info | debug (default info)
//   MATTER_MDNS_NETWORKINTERFACE  forced to "lo" unless set: mDNS never leaves loopback
//
// Lines for the harness, on stdout:
//   PASEO-PEER READY port=<port> commissioned=<true|false>   once the node listens
//   PASEO-PEER STOPPED                                        after a clean shutdown on SIGTERM
//   PASEO-PEER FAILED <reason>                                on a start-up error (exit code 1)

import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const PORT = parsePort(process.env.PASEO_PEER_PORT ?? "5540");

// matter.js reads its variables from the environment when its default environment is built,
// which happens on import: set ours first, then import.
process.env.MATTER_STORAGE_PATH ??= join(dirname(fileURLToPath(import.meta.url)), ".peer-storage");
process.env.MATTER_MDNS_NETWORKINTERFACE ??= "lo";
process.env.MATTER_LOG_FORMAT ??= "plain";
process.env.MATTER_LOG_LEVEL ??= "info";
// We handle SIGTERM/SIGINT ourselves (below) so that shutdown ends in a known line and exit code.
process.env.MATTER_RUNTIME_SIGNALS = "false";

const { DeviceTypeId, ServerNode, VendorId } = await import("@matter/main");
const { OnOffLightDevice } = await import("@matter/main/devices/on-off-light");

function parsePort(text) {
    const port = Number(text);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        console.log(`PASEO-PEER FAILED bad PASEO_PEER_PORT ${JSON.stringify(text)}`);
        process.exit(1);
    }
    return port;
}

let node;
try {
    node = await ServerNode.create({
        // Storage namespace: the state lives in $MATTER_STORAGE_PATH/paseo-peer.
        id: "paseo-peer",
        network: {
            port: PORT,
            // Loopback only: nothing of this device is reachable from another host.
            listeningAddressIpv4: "127.0.0.1",
            listeningAddressIpv6: "::1",
        },
        // Explicit: matter.js would otherwise pick a random passcode and discriminator.
        commissioning: { passcode: 20202021, discriminator: 3840 },
        productDescription: {
            name: "paseo peer",
            deviceType: DeviceTypeId(OnOffLightDevice.deviceType),
        },
        basicInformation: {
            vendorName: "paseo",
            vendorId: VendorId(0xfff1),
            productName: "paseo peer",
            productId: 0x8000,
            serialNumber: "paseo-0001",
            uniqueId: "paseo-0001",
        },
    });
    // The light is endpoint 1: OnOff (cluster 0x0006) attribute 0x0000 lives there.
    await node.add(OnOffLightDevice, { id: "light", number: 1 });
    await node.start();
} catch (error) {
    console.log(`PASEO-PEER FAILED ${error?.message ?? error}`);
    process.exit(1);
}

console.log(`PASEO-PEER READY port=${PORT} commissioned=${node.lifecycle.isCommissioned}`);

let stopping = false;
async function shutdown(signal) {
    if (stopping) {
        return;
    }
    stopping = true;
    // A close that hangs must not keep the harness waiting: give up after 5 s.
    const timer = setTimeout(() => {
        console.log(`PASEO-PEER FAILED close after ${signal} timed out`);
        process.exit(1);
    }, 5000);
    try {
        await node.close();
        clearTimeout(timer);
        console.log("PASEO-PEER STOPPED");
        process.exit(0);
    } catch (error) {
        console.log(`PASEO-PEER FAILED close: ${error?.message ?? error}`);
        process.exit(1);
    }
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
