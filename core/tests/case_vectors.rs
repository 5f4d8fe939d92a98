//! Known-answer tests for `paseo_core::case`: every case of case_keys.json, and the real
//! matter.js CASE + resumption capture of matterjs_case_transcript.json, where every Sigma
//! message is decoded and re-encoded byte for byte and every derived value is recomputed from
//! its inputs.

mod common;

use common::{cases, hex_field, load};
use paseo_core::case::key_schedule::*;
use paseo_core::case::*;
use paseo_core::codec::{Message, ProtocolMessage, StatusReport};
use paseo_core::crypto::ecdsa_p256_sha256_verify;
use paseo_core::crypto::{EphemeralKeyPair, P256PublicKey, SigningKeyPair, sha256};
use paseo_core::fabric::NodeId;
use paseo_core::session::SessionParameters;
use paseo_core::session::keys::SessionKeyMaterial;
use paseo_core::tlv::StructView;
use serde_json::Value;

fn array<const N: usize>(bytes: Vec<u8>, what: &str) -> [u8; N] {
    bytes
        .try_into()
        .unwrap_or_else(|v: Vec<u8>| panic!("{what} has {} bytes, expected {N}", v.len()))
}

fn field<const N: usize>(case: &Value, name: &str) -> [u8; N] {
    array(hex_field(case, name), name)
}

fn text<'v>(value: &'v Value, name: &str) -> &'v str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing or not a string in {value}"))
}

/// A 16-hex-digit big-endian id (case_keys.json).
fn hex_id(case: &Value, name: &str) -> u64 {
    u64::from_str_radix(text(case, name), 16).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A decimal id string (matterjs_case_transcript.json).
fn decimal_id(value: &Value, name: &str) -> u64 {
    text(value, name)
        .parse()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn number(value: &Value, name: &str) -> u64 {
    value[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} missing or not a number in {value}"))
}

fn public_key(bytes: &[u8]) -> P256PublicKey {
    P256PublicKey::from_uncompressed(bytes).expect("vector public keys are valid points")
}

fn assert_keys(keys: &SessionKeyMaterial, i2r: &[u8], r2i: &[u8], challenge: &[u8], what: &str) {
    assert_eq!(keys.i2r, i2r, "{what}: I2R");
    assert_eq!(keys.r2i, r2i, "{what}: R2I");
    assert_eq!(keys.attestation_challenge, challenge, "{what}: challenge");
}

fn keys_concat(keys: &SessionKeyMaterial) -> Vec<u8> {
    [keys.i2r, keys.r2i, keys.attestation_challenge].concat()
}

// ---------------------------------------------------------------------------------------------
// case_keys.json
// ---------------------------------------------------------------------------------------------

fn check_compressed_fabric_id(case: &Value) {
    let root = public_key(&hex_field(case, "root_public_key"));
    let cfid = CompressedFabricId::derive(&root, hex_id(case, "fabric_id"));
    assert_eq!(cfid.as_bytes(), &field::<8>(case, "compressed_fabric_id"));
}

fn check_ipk(case: &Value) {
    let cfid = CompressedFabricId(field(case, "compressed_fabric_id"));
    let ipk = OperationalIpk::from_epoch_key(&field(case, "epoch_key"), &cfid);
    assert_eq!(ipk.as_bytes(), &field::<16>(case, "ipk"));
}

fn check_destination_id(case: &Value) {
    let ipk = OperationalIpk::from_bytes(field(case, "ipk"));
    let random = field(case, "initiator_random");
    let root = public_key(&hex_field(case, "root_public_key"));
    let fabric_id = hex_id(case, "fabric_id");
    let node_id = NodeId(hex_id(case, "node_id"));
    let expected: [u8; 32] = field(case, "destination_id");
    assert_eq!(
        destination_id(&ipk, &random, &root, fabric_id, node_id),
        expected
    );
    // The responder finds this (fabric, node, IPK) among decoys that differ in one input each.
    let candidate = |fabric_id, node_id, ipk: &OperationalIpk, context| DestinationCandidate {
        root_public_key: root,
        fabric_id,
        node_id,
        ipk: ipk.clone(),
        context,
    };
    let other_ipk = OperationalIpk::from_bytes([0x5a; 16]);
    let candidates = [
        candidate(fabric_id ^ 1, node_id, &ipk, "other fabric"),
        candidate(fabric_id, NodeId(node_id.0 ^ 1), &ipk, "other node"),
        candidate(fabric_id, node_id, &other_ipk, "other ipk"),
        candidate(fabric_id, node_id, &ipk, "target"),
    ];
    let found = find_destination(&expected, &random, &candidates).map(|c| c.context);
    assert_eq!(found, Some("target"));
    assert!(find_destination(&expected, &random, &candidates[..3]).is_none());
}

/// Decodes and re-encodes one of the (synthetic but well-formed) Sigma payloads of a full
/// schedule; the schedule itself only hashes them.
fn check_sigma_payloads(case: &Value, what: &str) {
    let s1 = hex_field(case, "sigma1");
    let s2 = hex_field(case, "sigma2");
    let s3 = hex_field(case, "sigma3");
    let sigma1 = Sigma1::decode(&s1).unwrap_or_else(|e| panic!("{what}: sigma1: {e}"));
    assert_eq!(sigma1.message().encode().unwrap(), s1, "{what}: sigma1");
    assert_eq!(
        sigma1.message().initiator_random,
        field::<32>(case, "initiator_random")
    );
    assert_eq!(
        sigma1.message().destination_id,
        field::<32>(case, "destination_id")
    );
    assert_eq!(
        sigma1.message().initiator_eph_pub_key,
        field::<65>(case, "initiator_eph_public_key")
    );
    let sigma2 = Sigma2::decode(&s2).unwrap_or_else(|e| panic!("{what}: sigma2: {e}"));
    assert_eq!(sigma2.message().encode().unwrap(), s2, "{what}: sigma2");
    assert_eq!(
        sigma2.message().responder_random,
        field::<32>(case, "responder_random")
    );
    assert_eq!(
        sigma2.message().responder_eph_pub_key,
        field::<65>(case, "responder_eph_public_key")
    );
    let sigma3 = Sigma3::decode(&s3).unwrap_or_else(|e| panic!("{what}: sigma3: {e}"));
    assert_eq!(sigma3.message().encode().unwrap(), s3, "{what}: sigma3");
}

fn check_full_schedule(case: &Value) {
    let what = text(case, "description");
    // Fabric values.
    let root_secret = field(case, "root_private_key");
    let root = *SigningKeyPair::from_secret_bytes(&root_secret)
        .unwrap()
        .public_key();
    assert_eq!(
        root.to_uncompressed(),
        field::<65>(case, "root_public_key"),
        "{what}"
    );
    let fabric_id = hex_id(case, "fabric_id");
    let cfid = CompressedFabricId::derive(&root, fabric_id);
    assert_eq!(cfid.as_bytes(), &field::<8>(case, "compressed_fabric_id"));
    let ipk = OperationalIpk::from_epoch_key(&field(case, "epoch_key"), &cfid);
    assert_eq!(ipk.as_bytes(), &field::<16>(case, "ipk"), "{what}");
    let initiator_random = field(case, "initiator_random");
    assert_eq!(
        destination_id(
            &ipk,
            &initiator_random,
            &root,
            fabric_id,
            NodeId(hex_id(case, "node_id"))
        ),
        field::<32>(case, "destination_id"),
        "{what}"
    );

    // Ephemeral keys and ECDH from both sides.
    let initiator =
        EphemeralKeyPair::from_secret_bytes(&field(case, "initiator_eph_private_key")).unwrap();
    let responder =
        EphemeralKeyPair::from_secret_bytes(&field(case, "responder_eph_private_key")).unwrap();
    let initiator_pub: [u8; 65] = field(case, "initiator_eph_public_key");
    let responder_pub: [u8; 65] = field(case, "responder_eph_public_key");
    assert_eq!(initiator.public_key().to_uncompressed(), initiator_pub);
    assert_eq!(responder.public_key().to_uncompressed(), responder_pub);
    let secret = shared_secret(&initiator, &responder_pub).unwrap();
    assert_eq!(secret, shared_secret(&responder, &initiator_pub).unwrap());
    let secret = *secret.as_bytes();
    assert_eq!(secret, field::<32>(case, "shared_secret"), "{what}");

    check_sigma_payloads(case, what);

    // Transcript, S2K, S3K, session keys.
    let mut transcript = Transcript::new();
    let h1 = transcript.add_sigma1(&hex_field(case, "sigma1")).unwrap();
    let responder_random = field(case, "responder_random");
    assert_eq!(
        sigma2_key_salt(&ipk, &responder_random, &responder_pub, &h1),
        hex_field(case, "s2k_salt"),
        "{what}"
    );
    let s2k = sigma2_key(&secret, &ipk, &responder_random, &responder_pub, &h1);
    assert_eq!(*s2k, field::<16>(case, "s2k"), "{what}");
    let h12 = transcript.add_sigma2(&hex_field(case, "sigma2")).unwrap();
    assert_eq!(sigma3_key_salt(&ipk, &h12), hex_field(case, "s3k_salt"));
    let s3k = sigma3_key(&secret, &ipk, &h12);
    assert_eq!(*s3k, field::<16>(case, "s3k"), "{what}");
    let h123 = transcript.add_sigma3(&hex_field(case, "sigma3")).unwrap();
    assert_eq!(
        session_keys_salt(&ipk, &h123),
        hex_field(case, "session_keys_salt")
    );
    let keys = session_keys(&secret, &ipk, &h123).unwrap();
    assert_eq!(keys_concat(&keys), hex_field(case, "session_keys"));
    assert_keys(
        &keys,
        &hex_field(case, "i2r_key"),
        &hex_field(case, "r2i_key"),
        &hex_field(case, "attestation_challenge"),
        what,
    );

    // TBEData2/3 encryption, both ways, and tamper rejection.
    for (plain_name, sealed_name, key, encrypt, decrypt) in [
        (
            "tbe_data2_plain",
            "tbe_data2_encrypted",
            &s2k,
            encrypt_tbe_data2 as fn(&[u8; 16], &[u8]) -> Result<Vec<u8>, CaseError>,
            decrypt_tbe_data2 as fn(&[u8; 16], &[u8]) -> Result<Vec<u8>, CaseError>,
        ),
        (
            "tbe_data3_plain",
            "tbe_data3_encrypted",
            &s3k,
            encrypt_tbe_data3,
            decrypt_tbe_data3,
        ),
    ] {
        let plain = hex_field(case, plain_name);
        let sealed = hex_field(case, sealed_name);
        assert_eq!(
            encrypt(key, &plain).unwrap(),
            sealed,
            "{what}: {sealed_name}"
        );
        assert_eq!(
            decrypt(key, &sealed).unwrap(),
            plain,
            "{what}: {plain_name}"
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(matches!(
            decrypt(key, &tampered),
            Err(CaseError::DecryptFailed(_))
        ));
    }

    check_resumption(&case["resume"], &secret, what);
}

fn check_resumption(resume: &Value, secret: &[u8; 32], what: &str) {
    let random = field(resume, "initiator_random");
    let old_id = field(resume, "resumption_id");
    let new_id = field(resume, "new_resumption_id");
    assert_eq!(
        resumption_salt(&random, &old_id).to_vec(),
        hex_field(resume, "s1rk_salt")
    );
    let s1rk = sigma1_resume_key(secret, &random, &old_id);
    assert_eq!(*s1rk, field::<16>(resume, "s1rk"), "{what}: S1RK");
    let mic1: [u8; 16] = field(resume, "initiator_resume_mic");
    assert_eq!(initiator_resume_mic(&s1rk), mic1, "{what}: initiator MIC");
    assert_eq!(verify_initiator_resume_mic(&s1rk, &mic1), Ok(()));

    assert_eq!(
        resumption_salt(&random, &new_id).to_vec(),
        hex_field(resume, "s2rk_salt")
    );
    let s2rk = sigma2_resume_key(secret, &random, &new_id);
    assert_eq!(*s2rk, field::<16>(resume, "s2rk"), "{what}: S2RK");
    let mic2: [u8; 16] = field(resume, "responder_resume_mic");
    assert_eq!(sigma2_resume_mic(&s2rk), mic2, "{what}: responder MIC");
    assert_eq!(verify_sigma2_resume_mic(&s2rk, &mic2), Ok(()));
    // Each MIC fails under the other key, and when a bit flips.
    assert!(verify_initiator_resume_mic(&s2rk, &mic1).is_err());
    assert!(verify_sigma2_resume_mic(&s1rk, &mic2).is_err());
    let mut flipped = mic1;
    flipped[0] ^= 1;
    assert!(verify_initiator_resume_mic(&s1rk, &flipped).is_err());

    // Resumed session keys: salt with the Sigma1 (old) id, not the new one (Matter 1.3 §4.14.2).
    assert_eq!(
        resumption_salt(&random, &old_id).to_vec(),
        hex_field(resume, "session_keys_salt")
    );
    let keys = resumed_session_keys(secret, &random, &old_id).unwrap();
    assert_eq!(keys_concat(&keys), hex_field(resume, "session_keys"));
    assert_keys(
        &keys,
        &hex_field(resume, "i2r_key"),
        &hex_field(resume, "r2i_key"),
        &hex_field(resume, "attestation_challenge"),
        what,
    );
    let with_new_id = resumed_session_keys(secret, &random, &new_id).unwrap();
    assert_ne!(with_new_id.i2r, keys.i2r);
}

#[test]
fn case_keys_every_case() {
    let cases = cases("case_keys.json");
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for case in &cases {
        let kind = text(case, "kind");
        match kind {
            "compressed_fabric_id" => check_compressed_fabric_id(case),
            "ipk" => check_ipk(case),
            "destination_id" => check_destination_id(case),
            "full" => check_full_schedule(case),
            other => panic!("unknown kind {other}"),
        }
        *seen.entry(kind).or_default() += 1;
    }
    assert_eq!(seen.values().sum::<usize>(), cases.len());
    assert!(seen.len() == 4 && seen["full"] >= 4, "{seen:?}");
}

// ---------------------------------------------------------------------------------------------
// matterjs_case_transcript.json
// ---------------------------------------------------------------------------------------------

/// The fabric as the transcript records it.
struct TranscriptFabric {
    device_node_id: u64,
    controller_node_id: u64,
    fabric_id: u64,
    root: P256PublicKey,
    ipk: OperationalIpk,
}

fn transcript_fabric(file: &Value) -> TranscriptFabric {
    let fabric = &file["fabric"];
    let root = public_key(&hex_field(fabric, "rootPublicKey"));
    let fabric_id = decimal_id(fabric, "fabricId");
    // The recorded operational IPK is the HKDF of the recorded epoch key (Matter 1.3 §4.3.2.2,
    // §4.14.2.6.1).
    let cfid = CompressedFabricId::derive(&root, fabric_id);
    let ipk = OperationalIpk::from_epoch_key(&field(fabric, "identityProtectionKey"), &cfid);
    assert_eq!(
        ipk.as_bytes(),
        &field::<16>(fabric, "operationalIdentityProtectionKey")
    );
    TranscriptFabric {
        device_node_id: decimal_id(fabric, "deviceNodeId"),
        controller_node_id: decimal_id(fabric, "controllerNodeId"),
        fabric_id,
        root,
        ipk,
    }
}

/// Decodes a captured datagram with the message codec and checks it against the recorded
/// header; returns the application payload. Every datagram of the capture is on the
/// unsecured session (the capture has no post-establishment traffic).
fn check_datagram(message: &Value, name: &str) -> Vec<u8> {
    let datagram = hex_field(message, "datagram_hex");
    let header = &message["header"];
    let decoded = Message::decode(&datagram).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        u64::from(decoded.header.session_id),
        number(header, "sessionId")
    );
    assert!(decoded.header.is_unsecured(), "{name}: unsecured session");
    assert_eq!(
        u64::from(decoded.header.message_counter),
        number(header, "counter"),
        "{name}"
    );
    assert_eq!(decoded.header_len() as u64, number(header, "headerLen"));
    if let Some(source) = header["sourceNodeId"].as_str() {
        assert_eq!(
            decoded.header.source_node_id,
            Some(u64::from_str_radix(source, 16).unwrap()),
            "{name}"
        );
    }
    let protocol = ProtocolMessage::decode(decoded.payload).unwrap();
    assert_eq!(u64::from(protocol.header.opcode), number(header, "opcode"));
    assert_eq!(
        u64::from(protocol.header.exchange_id),
        number(header, "exchangeId")
    );
    assert_eq!(
        u64::from(protocol.header.protocol_id),
        number(header, "protocolId")
    );
    assert_eq!(
        protocol.header.ack_counter.map(u64::from),
        header["ackCounter"].as_u64(),
        "{name}"
    );
    let payload = protocol.payload.to_vec();
    assert_eq!(payload, hex_field(message, "payload_hex"), "{name}");
    assert_eq!(
        datagram.len() as u64,
        number(header, "len"),
        "{name}: datagram length"
    );
    payload
}

fn check_params(params: Option<&SessionParameters>, recorded: &Value, what: &str) {
    let params = params.unwrap_or_else(|| panic!("{what}: session parameters missing"));
    let ms = |d: core::time::Duration| u64::try_from(d.as_millis()).unwrap();
    assert_eq!(
        ms(params.mrp.idle_interval()),
        number(recorded, "idleInterval")
    );
    assert_eq!(
        ms(params.mrp.active_interval()),
        number(recorded, "activeInterval")
    );
    assert_eq!(
        ms(params.mrp.active_threshold()),
        number(recorded, "activeThreshold")
    );
    let opt = |v: Option<u64>, name| assert_eq!(v, recorded[name].as_u64(), "{what}: {name}");
    opt(
        params.data_model_revision.map(u64::from),
        "dataModelRevision",
    );
    opt(
        params.interaction_model_revision.map(u64::from),
        "interactionModelRevision",
    );
    opt(
        params.specification_version.map(u64::from),
        "specificationVersion",
    );
    opt(
        params.max_paths_per_invoke.map(u64::from),
        "maxPathsPerInvoke",
    );
    // supportedTransports bitmap: bit 1 TCP client, bit 2 TCP server (Matter 1.3 §4.12.8).
    let transports = params.supported_transports.expect("tag 8 sent");
    let flags = &recorded["supportedTransports"];
    assert_eq!(transports & 2 != 0, flags["tcpClient"].as_bool().unwrap());
    assert_eq!(transports & 4 != 0, flags["tcpServer"].as_bool().unwrap());
}

fn check_status_success(message: &Value, name: &str) {
    let payload = check_datagram(message, name);
    assert_eq!(
        StatusReport::decode(&payload).unwrap(),
        StatusReport::success()
    );
}

/// The public key (tag 9) and subject matter-node-id / matter-fabric-id (tags 17 and 21 of
/// the subject list, tag 6) of a Matter TLV NOC (Matter 1.3 §6.5.2, §6.5.6.1). Test-only reading of
/// three fields; certificate validation belongs to the certificate module.
fn noc_fields(noc: &[u8]) -> ([u8; 65], u64, u64) {
    let cert = StructView::parse_anonymous(noc).unwrap();
    let key = array(cert.required_bytes(9).unwrap().to_vec(), "NOC public key");
    let subject = cert.required_list(6).unwrap();
    let attr = |tag: u8| {
        subject
            .members()
            .iter()
            .find(|m| m.tag == paseo_core::tlv::Tag::Context(tag))
            .and_then(|m| m.u64().ok())
            .unwrap_or_else(|| panic!("NOC subject without attribute {tag}"))
    };
    (key, attr(17), attr(21))
}

/// What the full handshake leaves behind for the resumption check.
struct FullCaseOutcome {
    shared_secret: [u8; 32],
    resumption_id: [u8; 16],
}

fn check_full_handshake(h: &Value, fabric: &TranscriptFabric) -> FullCaseOutcome {
    let messages = &h["messages"];
    let s1 = check_datagram(&messages["Sigma1"], "Sigma1");
    let s2 = check_datagram(&messages["Sigma2"], "Sigma2");
    let s3 = check_datagram(&messages["Sigma3"], "Sigma3");
    check_status_success(&messages["StatusReport"], "StatusReport");

    // Decode, compare with matter.js's own decoding, re-encode byte for byte.
    let sigma1 = Sigma1::decode(&s1).unwrap();
    let sigma1 = sigma1.message();
    let rec = &messages["Sigma1"]["decoded"];
    assert_eq!(sigma1.initiator_random, field::<32>(rec, "initiatorRandom"));
    assert_eq!(
        u64::from(sigma1.initiator_session_id),
        number(rec, "initiatorSessionId")
    );
    assert_eq!(sigma1.destination_id, field::<32>(rec, "destinationId"));
    assert_eq!(
        sigma1.initiator_eph_pub_key,
        field::<65>(rec, "initiatorEcdhPublicKey")
    );
    check_params(
        sigma1.initiator_session_params.as_ref(),
        &rec["initiatorSessionParams"],
        "Sigma1",
    );
    assert_eq!(sigma1.resumption, None);
    assert_eq!(
        sigma1.encode().unwrap(),
        s1,
        "Sigma1 re-encodes byte for byte"
    );

    let sigma2 = Sigma2::decode(&s2).unwrap();
    let sigma2 = sigma2.message();
    let rec = &messages["Sigma2"]["decoded"];
    assert_eq!(sigma2.responder_random, field::<32>(rec, "responderRandom"));
    assert_eq!(
        u64::from(sigma2.responder_session_id),
        number(rec, "responderSessionId")
    );
    assert_eq!(
        sigma2.responder_eph_pub_key,
        field::<65>(rec, "responderEcdhPublicKey")
    );
    assert_eq!(sigma2.encrypted2, hex_field(rec, "encrypted"));
    check_params(
        sigma2.responder_session_params.as_ref(),
        &rec["responderSessionParams"],
        "Sigma2",
    );
    assert_eq!(
        sigma2.encode().unwrap(),
        s2,
        "Sigma2 re-encodes byte for byte"
    );

    let sigma3 = Sigma3::decode(&s3).unwrap();
    let sigma3 = sigma3.message();
    assert_eq!(
        sigma3.encrypted3,
        hex_field(&messages["Sigma3"]["decoded"], "encrypted")
    );
    assert_eq!(
        sigma3.encode().unwrap(),
        s3,
        "Sigma3 re-encodes byte for byte"
    );

    // Destination id: the controller addressed the device's node id in this fabric.
    assert_eq!(
        destination_id(
            &fabric.ipk,
            &sigma1.initiator_random,
            &fabric.root,
            fabric.fabric_id,
            NodeId(fabric.device_node_id)
        ),
        sigma1.destination_id
    );

    // ECDH from the recorded private keys, both ways.
    let ecdh = &h["ecdh"];
    let initiator =
        EphemeralKeyPair::from_secret_bytes(&field(ecdh, "initiator_ephemeral_private")).unwrap();
    let responder =
        EphemeralKeyPair::from_secret_bytes(&field(ecdh, "responder_ephemeral_private")).unwrap();
    assert_eq!(
        initiator.public_key().to_uncompressed(),
        sigma1.initiator_eph_pub_key
    );
    assert_eq!(
        responder.public_key().to_uncompressed(),
        sigma2.responder_eph_pub_key
    );
    let secret = shared_secret(&initiator, &sigma2.responder_eph_pub_key).unwrap();
    assert_eq!(
        secret,
        shared_secret(&responder, &sigma1.initiator_eph_pub_key).unwrap()
    );
    let secret = *secret.as_bytes();
    assert_eq!(secret, field::<32>(ecdh, "shared_secret"));

    // Key schedule against every recorded HKDF input and output.
    let hkdf = h["hkdf"].as_array().unwrap();
    let [sigma2_kdf, sigma3_kdf, session_kdf] = [&hkdf[0], &hkdf[1], &hkdf[2]];
    assert_eq!(
        [sigma2_kdf, sigma3_kdf, session_kdf].map(|k| text(k, "info")),
        ["Sigma2", "Sigma3", "SessionKeys"]
    );
    for kdf in hkdf {
        assert_eq!(field::<32>(kdf, "ikm"), secret);
    }
    let mut transcript = Transcript::new();
    let h1 = transcript.add_sigma1(&s1).unwrap();
    assert_eq!(h1, sha256(&s1));
    assert_eq!(
        sigma2_key_salt(
            &fabric.ipk,
            &sigma2.responder_random,
            &sigma2.responder_eph_pub_key,
            &h1
        ),
        hex_field(sigma2_kdf, "salt")
    );
    let s2k = sigma2_key(
        &secret,
        &fabric.ipk,
        &sigma2.responder_random,
        &sigma2.responder_eph_pub_key,
        &h1,
    );
    assert_eq!(*s2k, field::<16>(sigma2_kdf, "okm"));
    let h12 = transcript.add_sigma2(&s2).unwrap();
    assert_eq!(
        sigma3_key_salt(&fabric.ipk, &h12),
        hex_field(sigma3_kdf, "salt")
    );
    let s3k = sigma3_key(&secret, &fabric.ipk, &h12);
    assert_eq!(*s3k, field::<16>(sigma3_kdf, "okm"));
    let h123 = transcript.add_sigma3(&s3).unwrap();
    assert_eq!(
        session_keys_salt(&fabric.ipk, &h123),
        hex_field(session_kdf, "salt")
    );
    let session = &h["session"];
    assert_eq!(text(session, "hkdf_info"), "SessionKeys");
    assert_eq!(
        session_keys_salt(&fabric.ipk, &h123),
        hex_field(session, "hkdf_salt")
    );
    let keys = session_keys(&secret, &fabric.ipk, &h123).unwrap();
    assert_eq!(keys_concat(&keys), hex_field(session_kdf, "okm"));
    assert_keys(
        &keys,
        &hex_field(session, "I2RKey"),
        &hex_field(session, "R2IKey"),
        &hex_field(session, "AttestationChallenge"),
        "full CASE",
    );
    assert_eq!(
        u64::from(sigma1.initiator_session_id),
        number(session, "initiatorSessionId")
    );
    assert_eq!(
        u64::from(sigma2.responder_session_id),
        number(session, "responderSessionId")
    );

    // encrypted2 → TBEData2: decode, re-encode, re-encrypt, verify the responder's signature
    // over the rebuilt TBSData2.
    let tbe2_bytes = decrypt_tbe_data2(&s2k, &sigma2.encrypted2).unwrap();
    let tbe2 = TbeData2::decode(&tbe2_bytes).unwrap();
    assert_eq!(tbe2.encode().unwrap(), tbe2_bytes, "TBEData2 re-encodes");
    assert_eq!(
        encrypt_tbe_data2(&s2k, &tbe2_bytes).unwrap(),
        sigma2.encrypted2
    );
    let (responder_noc_key, responder_node, responder_fabric) = noc_fields(&tbe2.noc);
    assert_eq!(responder_node, fabric.device_node_id);
    assert_eq!(responder_fabric, fabric.fabric_id);
    let tbs2 = TbsData {
        noc: tbe2.noc.clone(),
        icac: tbe2.icac.clone(),
        signer_eph_pub_key: sigma2.responder_eph_pub_key,
        peer_eph_pub_key: sigma1.initiator_eph_pub_key,
    };
    ecdsa_p256_sha256_verify(&responder_noc_key, &tbs2.encode().unwrap(), &tbe2.signature)
        .expect("responder signature over TBSData2");
    // The same signature does not cover the keys the other way round.
    let swapped = TbsData {
        signer_eph_pub_key: sigma1.initiator_eph_pub_key,
        peer_eph_pub_key: sigma2.responder_eph_pub_key,
        ..tbs2
    };
    assert!(
        ecdsa_p256_sha256_verify(
            &responder_noc_key,
            &swapped.encode().unwrap(),
            &tbe2.signature
        )
        .is_err()
    );

    // encrypted3 → TBEData3, the same way.
    let tbe3_bytes = decrypt_tbe_data3(&s3k, &sigma3.encrypted3).unwrap();
    let tbe3 = TbeData3::decode(&tbe3_bytes).unwrap();
    assert_eq!(tbe3.encode().unwrap(), tbe3_bytes, "TBEData3 re-encodes");
    assert_eq!(
        encrypt_tbe_data3(&s3k, &tbe3_bytes).unwrap(),
        sigma3.encrypted3
    );
    let (initiator_noc_key, initiator_node, initiator_fabric) = noc_fields(&tbe3.noc);
    assert_eq!(initiator_node, fabric.controller_node_id);
    assert_eq!(initiator_node, decimal_id(session, "initiatorNodeId"));
    assert_eq!(responder_node, decimal_id(session, "responderNodeId"));
    assert_eq!(initiator_fabric, fabric.fabric_id);
    let tbs3 = TbsData {
        noc: tbe3.noc.clone(),
        icac: tbe3.icac.clone(),
        signer_eph_pub_key: sigma1.initiator_eph_pub_key,
        peer_eph_pub_key: sigma2.responder_eph_pub_key,
    };
    ecdsa_p256_sha256_verify(&initiator_noc_key, &tbs3.encode().unwrap(), &tbe3.signature)
        .expect("initiator signature over TBSData3");
    // S2K does not open encrypted3, S3K does not open encrypted2.
    assert!(decrypt_tbe_data3(&s2k, &sigma3.encrypted3).is_err());
    assert!(decrypt_tbe_data2(&s3k, &sigma2.encrypted2).is_err());

    FullCaseOutcome {
        shared_secret: secret,
        resumption_id: tbe2.resumption_id,
    }
}

fn check_resumed_handshake(h: &Value, fabric: &TranscriptFabric, earlier: &FullCaseOutcome) {
    let messages = &h["messages"];
    let s1 = check_datagram(&messages["Sigma1"], "resumption Sigma1");
    let s2r = check_datagram(&messages["Sigma2_Resume"], "Sigma2_Resume");
    check_status_success(&messages["StatusReport"], "resumption StatusReport");

    let sigma1 = Sigma1::decode(&s1).unwrap();
    let sigma1 = sigma1.message();
    let rec = &messages["Sigma1"]["decoded"];
    assert_eq!(sigma1.initiator_random, field::<32>(rec, "initiatorRandom"));
    assert_eq!(
        u64::from(sigma1.initiator_session_id),
        number(rec, "initiatorSessionId")
    );
    assert_eq!(sigma1.destination_id, field::<32>(rec, "destinationId"));
    assert_eq!(
        sigma1.initiator_eph_pub_key,
        field::<65>(rec, "initiatorEcdhPublicKey")
    );
    check_params(
        sigma1.initiator_session_params.as_ref(),
        &rec["initiatorSessionParams"],
        "resumption Sigma1",
    );
    let resumption = sigma1.resumption.expect("resumption fields");
    assert_eq!(resumption.resumption_id, field::<16>(rec, "resumptionId"));
    assert_eq!(
        resumption.initiator_resume_mic,
        field::<16>(rec, "initiatorResumeMic")
    );
    assert_eq!(sigma1.encode().unwrap(), s1, "resumption Sigma1 re-encodes");
    // A resumption Sigma1 still names the destination, so full CASE stays possible (Matter 1.3
    // §4.14.2).
    assert_eq!(
        destination_id(
            &fabric.ipk,
            &sigma1.initiator_random,
            &fabric.root,
            fabric.fabric_id,
            NodeId(fabric.device_node_id)
        ),
        sigma1.destination_id
    );
    // The id being resumed is the one the device sent in TBEData2 of the full handshake.
    assert_eq!(resumption.resumption_id, earlier.resumption_id);

    let resume = Sigma2Resume::decode(&s2r).unwrap();
    let resume = resume.message();
    let rec = &messages["Sigma2_Resume"]["decoded"];
    assert_eq!(resume.resumption_id, field::<16>(rec, "resumptionId"));
    assert_eq!(resume.sigma2_resume_mic, field::<16>(rec, "resumeMic"));
    assert_eq!(
        u64::from(resume.responder_session_id),
        number(rec, "responderSessionId")
    );
    check_params(
        resume.responder_session_params.as_ref(),
        &rec["responderSessionParams"],
        "Sigma2_Resume",
    );
    assert_eq!(resume.encode().unwrap(), s2r, "Sigma2_Resume re-encodes");

    let hkdf = h["hkdf"].as_array().unwrap();
    let [s1rk_kdf, s2rk_kdf, keys_kdf] = [&hkdf[0], &hkdf[1], &hkdf[2]];
    assert_eq!(
        [s1rk_kdf, s2rk_kdf, keys_kdf].map(|k| text(k, "info")),
        ["Sigma1_Resume", "Sigma2_Resume", "SessionResumptionKeys"]
    );
    // The resumption reuses the full handshake's shared secret.
    for kdf in hkdf {
        assert_eq!(field::<32>(kdf, "ikm"), earlier.shared_secret);
    }
    let secret = &earlier.shared_secret;
    let random = &sigma1.initiator_random;

    assert_eq!(
        resumption_salt(random, &resumption.resumption_id).to_vec(),
        hex_field(s1rk_kdf, "salt")
    );
    let s1rk = sigma1_resume_key(secret, random, &resumption.resumption_id);
    assert_eq!(*s1rk, field::<16>(s1rk_kdf, "okm"));
    assert_eq!(initiator_resume_mic(&s1rk), resumption.initiator_resume_mic);
    assert_eq!(
        verify_initiator_resume_mic(&s1rk, &resumption.initiator_resume_mic),
        Ok(())
    );

    assert_eq!(
        resumption_salt(random, &resume.resumption_id).to_vec(),
        hex_field(s2rk_kdf, "salt")
    );
    let s2rk = sigma2_resume_key(secret, random, &resume.resumption_id);
    assert_eq!(*s2rk, field::<16>(s2rk_kdf, "okm"));
    assert_eq!(sigma2_resume_mic(&s2rk), resume.sigma2_resume_mic);
    assert_eq!(
        verify_sigma2_resume_mic(&s2rk, &resume.sigma2_resume_mic),
        Ok(())
    );

    let session = &h["session"];
    assert_eq!(text(session, "hkdf_info"), "SessionResumptionKeys");
    let salt = resumption_salt(random, &resumption.resumption_id).to_vec();
    assert_eq!(salt, hex_field(keys_kdf, "salt"));
    assert_eq!(salt, hex_field(session, "hkdf_salt"));
    let keys = resumed_session_keys(secret, random, &resumption.resumption_id).unwrap();
    assert_eq!(keys_concat(&keys), hex_field(keys_kdf, "okm"));
    assert_keys(
        &keys,
        &hex_field(session, "I2RKey"),
        &hex_field(session, "R2IKey"),
        &hex_field(session, "AttestationChallenge"),
        "resumed CASE",
    );
    assert_eq!(
        u64::from(sigma1.initiator_session_id),
        number(session, "initiatorSessionId")
    );
    assert_eq!(
        u64::from(resume.responder_session_id),
        number(session, "responderSessionId")
    );
}

#[test]
fn matterjs_case_transcript_full_and_resumed() {
    let file = load("matterjs_case_transcript.json");
    let fabric = transcript_fabric(&file);
    let handshakes = file["handshakes"].as_array().expect("handshakes");
    assert_eq!(handshakes.len(), 2);
    let full = &handshakes[0];
    assert_eq!(full["resumed"].as_bool(), Some(false));
    let outcome = check_full_handshake(full, &fabric);
    let resumed = &handshakes[1];
    assert_eq!(resumed["resumed"].as_bool(), Some(true));
    check_resumed_handshake(resumed, &fabric, &outcome);
}

#[test]
fn matterjs_transcript_has_no_post_establishment_datagrams() {
    // Every captured datagram is a handshake message on the unsecured session; if the capture
    // ever gains encrypted traffic, this test says so and a decryption check should follow.
    let file = load("matterjs_case_transcript.json");
    for handshake in file["handshakes"].as_array().unwrap() {
        for (name, message) in handshake["messages"].as_object().unwrap() {
            let datagram = hex_field(message, "datagram_hex");
            let decoded = Message::decode(&datagram).unwrap();
            assert!(decoded.header.is_unsecured(), "{name} is encrypted");
        }
    }
}
