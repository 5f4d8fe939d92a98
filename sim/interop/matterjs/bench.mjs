// Times matter.js 0.17.9 (the interop peer's pinned version) on what paseo's benches measure,
// and prints one JSON object (nanoseconds per operation) for core/benches/matterjs.rs.
//
// - codec: MessageCodec encode (payload header + packet header) and decode (packet, then
//   payload header) of a secured unicast message with source and destination node ids, an
//   acknowledgement and a 64-byte payload: the same headers paseo's `codec` bench encodes.
// - pase: the crypto steps matter.js performs for one PASE handshake, both roles: the
//   commissioner's PBKDF2 (1000 iterations) into w0/w1, SPAKE2+ X and Y, both sides' shared
//   secret and confirmation values, the context hash, and each side's session-key HKDF. The
//   device's verifier (w0, L) is precomputed, as in paseo's bench.
// - case: the crypto steps of one CASE handshake, both roles (Matter 1.3 §4.14.2): 2
//   ephemeral key pairs, 2 ECDH, 2 ECDSA signs (TBSData2/3), 4 ECDSA verifies (the two TBS
//   signatures and each peer's NOC), the destination-id HMAC (made and checked), 4 HKDF
//   (S2K, S3K on each side), AES-CCM of TBEData2 (~500 B) and TBEData3 (each encrypted and
//   decrypted), 4 transcript hashes and the two sides' session-key HKDFs.
//
// A full in-process matter.js handshake would need its session manager, exchange layer and a
// fabric; these timings leave out matter.js's TLV, certificate decoding, message and session
// handling, so they flatter matter.js (paseo's numbers are full handshakes).
//
// Run: node bench.mjs            (from sim/interop/matterjs, after `npm ci`)

import { Bytes, Spake2p, PublicKey } from "@matter/general";
import { NodeJsCrypto } from "@matter/nodejs";
import { MessageCodec, SessionType } from "@matter/protocol";

const crypto = new NodeJsCrypto();

/** Mean ns per call of `f` (async allowed): warm up, then run for at least `ms`. */
async function time(f, ms = 1500) {
    const warm = performance.now() + 200;
    while (performance.now() < warm) await f();
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
        for (let i = 0; i < 16; i++) await f();
        n += 16;
        now = performance.now();
    }
    return ((now - start) * 1e6) / n;
}

function codec() {
    const message = {
        packetHeader: {
            sessionId: 0x1234,
            sessionType: SessionType.Unicast,
            hasPrivacyEnhancements: false,
            isControlMessage: false,
            hasMessageExtensions: false,
            messageId: 0x01020304,
            sourceNodeId: 0x1122334455667788n,
            destNodeId: 0x8877665544332211n,
        },
        payloadHeader: {
            exchangeId: 0x4321,
            protocolId: 0x0001,
            messageType: 0x08,
            isInitiatorMessage: true,
            requiresAck: true,
            ackedMessageId: 0x0a0b0c0d,
            hasSecuredExtension: false,
        },
        payload: new Uint8Array(64).fill(0xa5),
    };
    return () => {
        const bytes = MessageCodec.encodePacket(MessageCodec.encodePayload(message));
        const decoded = MessageCodec.decodePayload(MessageCodec.decodePacket(bytes));
        if (decoded.payloadHeader.exchangeId !== 0x4321) throw new Error("codec round trip");
    };
}

async function pase() {
    const pbkdf = { iterations: 1000, salt: new Uint8Array(32).fill(7) };
    const pin = 20202021;
    const { w0: dW0, L } = await Spake2p.computeW0L(crypto, pbkdf, pin);
    const request = new Uint8Array(80).fill(1);
    const response = new Uint8Array(120).fill(2);
    const salt = new Uint8Array(0);
    const info = Bytes.fromString("SessionKeys");
    return async () => {
        const context = await crypto.computeHash([
            Bytes.fromString("CHIP PAKE V1 Commissioning"),
            request,
            response,
        ]);
        const { w0, w1 } = await Spake2p.computeW0W1(crypto, pbkdf, pin);
        const prover = Spake2p.create(crypto, context, w0);
        const verifier = Spake2p.create(crypto, context, dW0);
        const X = prover.computeX();
        const Y = verifier.computeY();
        const dev = await verifier.computeSecretAndVerifiersFromX(L, X, Y);
        const ctl = await prover.computeSecretAndVerifiersFromY(w1, X, Y);
        if (!Bytes.areEqual(dev.Ke, ctl.Ke)) throw new Error("PASE secrets differ");
        await crypto.createHkdfKey(ctl.Ke, salt, info, 48);
        await crypto.createHkdfKey(dev.Ke, salt, info, 48);
    };
}

async function case_() {
    // Long-lived operational keys and "NOC" bytes to verify (the TBS of a NOC is ~300 B).
    const ctlKey = await crypto.createKeyPair();
    const devKey = await crypto.createKeyPair();
    const rootKey = await crypto.createKeyPair();
    const nocTbs = new Uint8Array(300).fill(3);
    const ctlNocSig = await crypto.signEcdsa(rootKey, nocTbs);
    const devNocSig = await crypto.signEcdsa(rootKey, nocTbs);
    const rootPub = PublicKey(rootKey.publicKey);
    const ipk = new Uint8Array(16).fill(4);
    const tbe2 = new Uint8Array(500).fill(5);
    const tbe3 = new Uint8Array(480).fill(6);
    const nonce2 = Bytes.fromString("NCASE_Sigma2N");
    const nonce3 = Bytes.fromString("NCASE_Sigma3N");
    const sigma1 = new Uint8Array(170).fill(7);
    return async () => {
        // Sigma1: initiator's ephemeral key and destination id; responder checks it.
        const iEph = await crypto.createKeyPair();
        const dest = await crypto.signHmac(ipk, sigma1);
        await crypto.signHmac(ipk, sigma1);
        // Sigma2: responder's ephemeral key, ECDH, S2K, signs TBSData2, encrypts TBEData2.
        const rEph = await crypto.createKeyPair();
        const rShared = await crypto.generateDhSecret(rEph, PublicKey(iEph.publicKey));
        const th1 = await crypto.computeHash(sigma1);
        const s2kR = await crypto.createHkdfKey(rShared, Bytes.concat(ipk, th1), dest, 16);
        const tbs2 = await crypto.signEcdsa(devKey, [tbe2, rEph.publicKey, iEph.publicKey]);
        const enc2 = crypto.encrypt(s2kR, tbe2, nonce2);
        // Initiator: ECDH, S2K, decrypts, verifies the NOC and TBSData2.
        const iShared = await crypto.generateDhSecret(iEph, PublicKey(rEph.publicKey));
        const s2kI = await crypto.createHkdfKey(iShared, Bytes.concat(ipk, th1), dest, 16);
        crypto.decrypt(s2kI, enc2, nonce2);
        await crypto.verifyEcdsa(rootPub, nocTbs, devNocSig);
        await crypto.verifyEcdsa(
            PublicKey(devKey.publicKey),
            Bytes.concat(tbe2, rEph.publicKey, iEph.publicKey),
            tbs2,
        );
        // Sigma3: S3K, signs TBSData3, encrypts TBEData3; responder decrypts and verifies.
        const th2 = await crypto.computeHash([sigma1, enc2]);
        const s3kI = await crypto.createHkdfKey(iShared, Bytes.concat(ipk, th2), dest, 16);
        const tbs3 = await crypto.signEcdsa(ctlKey, [tbe3, iEph.publicKey, rEph.publicKey]);
        const enc3 = crypto.encrypt(s3kI, tbe3, nonce3);
        const s3kR = await crypto.createHkdfKey(rShared, Bytes.concat(ipk, th2), dest, 16);
        crypto.decrypt(s3kR, enc3, nonce3);
        await crypto.verifyEcdsa(rootPub, nocTbs, ctlNocSig);
        await crypto.verifyEcdsa(
            PublicKey(ctlKey.publicKey),
            Bytes.concat(tbe3, iEph.publicKey, rEph.publicKey),
            tbs3,
        );
        // Session keys on both sides from the transcript hash.
        const th3 = await crypto.computeHash([sigma1, enc2, enc3]);
        const info = Bytes.fromString("SessionKeys");
        await crypto.createHkdfKey(iShared, Bytes.concat(ipk, th3), info, 48);
        await crypto.createHkdfKey(rShared, Bytes.concat(ipk, th3), info, 48);
        await crypto.computeHash([sigma1, enc2, enc3]);
    };
}

const result = {
    matterjs: "0.17.9",
    node: process.version,
    codec_encode_decode_ns: await time(codec()),
    pase_crypto_ns: await time(await pase(), 3000),
    case_crypto_ns: await time(await case_(), 3000),
};
console.log(JSON.stringify(result));
