//! The device's data model: which endpoints carry which clusters, which attributes and commands
//! each cluster has (Matter Application Cluster Specification; global attributes from Matter
//! Core §7.13), and how a Read's attribute paths expand over it (Core §8.9.2.3).

use crate::tlv::{ContainerKind, Member, TlvError};

use super::super::error::ImError;
use super::super::path::AttributePath;
use super::super::status::ImStatus;

/// Cluster ids.
pub mod cluster {
    /// On/Off.
    pub const ON_OFF: u32 = 0x0006;
    /// Descriptor.
    pub const DESCRIPTOR: u32 = 0x001d;
    /// Basic Information.
    pub const BASIC_INFORMATION: u32 = 0x0028;
    /// General Commissioning.
    pub const GENERAL_COMMISSIONING: u32 = 0x0030;
    /// Network Commissioning.
    pub const NETWORK_COMMISSIONING: u32 = 0x0031;
    /// Operational Credentials.
    pub const OPERATIONAL_CREDENTIALS: u32 = 0x003e;
}

/// Global attribute ids (Core §7.13).
pub mod global {
    /// GeneratedCommandList.
    pub const GENERATED_COMMAND_LIST: u32 = 0xfff8;
    /// AcceptedCommandList.
    pub const ACCEPTED_COMMAND_LIST: u32 = 0xfff9;
    /// AttributeList.
    pub const ATTRIBUTE_LIST: u32 = 0xfffb;
    /// FeatureMap.
    pub const FEATURE_MAP: u32 = 0xfffc;
    /// ClusterRevision.
    pub const CLUSTER_REVISION: u32 = 0xfffd;
}

const GLOBALS: [u32; 5] = [
    global::GENERATED_COMMAND_LIST,
    global::ACCEPTED_COMMAND_LIST,
    global::ATTRIBUTE_LIST,
    global::FEATURE_MAP,
    global::CLUSTER_REVISION,
];

/// One cluster as this device implements it.
#[derive(Debug, Clone, Copy)]
pub struct ClusterSpec {
    /// Cluster id.
    pub id: u32,
    /// ClusterRevision.
    pub revision: u16,
    /// FeatureMap.
    pub feature_map: u32,
    /// Non-global attribute ids, ascending.
    pub attributes: &'static [u32],
    /// Accepted command ids, ascending.
    pub accepted: &'static [u32],
    /// Generated (response) command ids, ascending.
    pub generated: &'static [u32],
}

impl ClusterSpec {
    /// Every attribute id, globals included, ascending.
    pub fn all_attributes(&self) -> impl Iterator<Item = u32> + '_ {
        self.attributes.iter().copied().chain(GLOBALS)
    }

    /// Whether the cluster has `attribute`.
    pub fn has_attribute(&self, attribute: u32) -> bool {
        self.attributes.contains(&attribute) || GLOBALS.contains(&attribute)
    }
}

const DESCRIPTOR: ClusterSpec = ClusterSpec {
    id: cluster::DESCRIPTOR,
    revision: 2,
    feature_map: 0,
    // DeviceTypeList, ServerList, ClientList, PartsList.
    attributes: &[0x0000, 0x0001, 0x0002, 0x0003],
    accepted: &[],
    generated: &[],
};

const BASIC_INFORMATION: ClusterSpec = ClusterSpec {
    id: cluster::BASIC_INFORMATION,
    revision: 3,
    feature_map: 0,
    // DataModelRevision, VendorName, VendorID, ProductName, ProductID, NodeLabel, Location,
    // HardwareVersion(String), SoftwareVersion(String), SerialNumber, UniqueID,
    // CapabilityMinima, SpecificationVersion, MaxPathsPerInvoke.
    attributes: &[
        0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0008, 0x0009, 0x000a,
        0x000f, 0x0012, 0x0013, 0x0015, 0x0016,
    ],
    accepted: &[],
    generated: &[],
};

const GENERAL_COMMISSIONING: ClusterSpec = ClusterSpec {
    id: cluster::GENERAL_COMMISSIONING,
    revision: 1,
    feature_map: 0,
    // Breadcrumb, BasicCommissioningInfo, RegulatoryConfig, LocationCapability,
    // SupportsConcurrentConnection.
    attributes: &[0x0000, 0x0001, 0x0002, 0x0003, 0x0004],
    // ArmFailSafe, SetRegulatoryConfig, CommissioningComplete.
    accepted: &[0x00, 0x02, 0x04],
    generated: &[0x01, 0x03, 0x05],
};

/// NetworkCommissioning FeatureMap: EthernetNetworkInterface (bit 2).
pub const NETWORK_FEATURE_ETHERNET: u32 = 0x04;

const NETWORK_COMMISSIONING: ClusterSpec = ClusterSpec {
    id: cluster::NETWORK_COMMISSIONING,
    revision: 1,
    feature_map: NETWORK_FEATURE_ETHERNET,
    // MaxNetworks, Networks, InterfaceEnabled, LastNetworkingStatus, LastNetworkID,
    // LastConnectErrorValue.
    attributes: &[0x0000, 0x0001, 0x0004, 0x0005, 0x0006, 0x0007],
    accepted: &[],
    generated: &[],
};

const OPERATIONAL_CREDENTIALS: ClusterSpec = ClusterSpec {
    id: cluster::OPERATIONAL_CREDENTIALS,
    revision: 1,
    feature_map: 0,
    // NOCs, Fabrics, SupportedFabrics, CommissionedFabrics, TrustedRootCertificates,
    // CurrentFabricIndex.
    attributes: &[0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005],
    // AttestationRequest, CertificateChainRequest, CSRRequest, AddNOC, RemoveFabric,
    // AddTrustedRootCertificate.
    accepted: &[0x00, 0x02, 0x04, 0x06, 0x0a, 0x0b],
    generated: &[0x01, 0x03, 0x05, 0x08],
};

const ON_OFF: ClusterSpec = ClusterSpec {
    id: cluster::ON_OFF,
    revision: 6,
    feature_map: 0,
    attributes: &[0x0000],
    // Off, On, Toggle.
    accepted: &[0x00, 0x01, 0x02],
    generated: &[],
};

/// One endpoint.
#[derive(Debug, Clone, Copy)]
pub struct EndpointSpec {
    /// Endpoint number.
    pub id: u16,
    /// (device type, revision) for the Descriptor's DeviceTypeList.
    pub device_type: (u32, u16),
    /// Clusters, ascending by id.
    pub clusters: &'static [ClusterSpec],
}

/// Root node (device type 0x0016) on endpoint 0; On/Off Light (0x0100) on endpoint 1.
pub const ENDPOINTS: [EndpointSpec; 2] = [
    EndpointSpec {
        id: 0,
        device_type: (0x0016, 2),
        clusters: &[
            DESCRIPTOR,
            BASIC_INFORMATION,
            GENERAL_COMMISSIONING,
            NETWORK_COMMISSIONING,
            OPERATIONAL_CREDENTIALS,
        ],
    },
    EndpointSpec {
        id: 1,
        device_type: (0x0100, 3),
        clusters: &[ON_OFF, DESCRIPTOR],
    },
];

/// The endpoint `id`, if the device has it.
pub fn endpoint(id: u16) -> Option<&'static EndpointSpec> {
    ENDPOINTS.iter().find(|e| e.id == id)
}

/// The cluster `cluster` on endpoint `endpoint`.
pub fn cluster_on(endpoint_id: u16, cluster_id: u32) -> Option<&'static ClusterSpec> {
    endpoint(endpoint_id)?
        .clusters
        .iter()
        .find(|c| c.id == cluster_id)
}

/// An AttributePathIB of a request: any of endpoint, cluster, attribute may be a wildcard
/// (absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestPath {
    /// Endpoint, or every endpoint.
    pub endpoint: Option<u16>,
    /// Cluster, or every cluster.
    pub cluster: Option<u32>,
    /// Attribute, or every attribute.
    pub attribute: Option<u32>,
}

impl RequestPath {
    /// Reads an AttributePathIB list `{0: tag compression, 1: node, 2: endpoint, 3: cluster,
    /// 4: attribute, 5: list index}`. A list index (reading one list entry) is not supported
    /// and refused like a malformed path.
    pub fn read(member: &Member<'_>) -> Result<Self, ImError> {
        let list = member.sequence()?;
        if list.kind() != ContainerKind::List {
            return Err(TlvError::WrongType {
                tag: member.tag,
                expected: "a list",
            }
            .into());
        }
        let mut path = Self {
            endpoint: None,
            cluster: None,
            attribute: None,
        };
        let mut seen = [false; 6];
        for m in list.members() {
            let Some(ctx) = m.tag.context_number() else {
                continue;
            };
            if let Some(slot) = seen.get_mut(usize::from(ctx)) {
                if *slot {
                    return Err(TlvError::DuplicateTag(m.tag).into());
                }
                *slot = true;
            }
            match ctx {
                2 => path.endpoint = Some(m.u16()?),
                3 => path.cluster = Some(m.u32()?),
                4 => path.attribute = Some(m.u32()?),
                5 if !m.is_null() => return Err(ImError::IncompletePath("list index support")),
                _ => {}
            }
        }
        Ok(path)
    }

    /// A path with every field given.
    pub fn concrete(&self) -> Option<AttributePath> {
        Some(AttributePath::new(
            self.endpoint?,
            self.cluster?,
            self.attribute?,
        ))
    }
}

/// What one request path expands to: attributes to report, or (for a concrete path that names
/// nothing) the status to report for it.
pub enum Expansion {
    /// The existing attributes the path covers, in endpoint, cluster, attribute order.
    Attributes(Vec<AttributePath>),
    /// A concrete path naming something the device does not have.
    Status(AttributePath, ImStatus),
}

/// Expands `path` (Core §8.9.2.3): a concrete path yields itself or the status naming the
/// first missing level; a wildcard path yields every existing match and silently skips the
/// rest.
pub fn expand(path: &RequestPath) -> Expansion {
    if let Some(concrete) = path.concrete() {
        let status = match endpoint(concrete.endpoint) {
            None => Some(ImStatus::UNSUPPORTED_ENDPOINT),
            Some(_) => match cluster_on(concrete.endpoint, concrete.cluster) {
                None => Some(ImStatus::UNSUPPORTED_CLUSTER),
                Some(c) if !c.has_attribute(concrete.attribute) => {
                    Some(ImStatus::UNSUPPORTED_ATTRIBUTE)
                }
                Some(_) => None,
            },
        };
        return match status {
            Some(status) => Expansion::Status(concrete, status),
            None => Expansion::Attributes(vec![concrete]),
        };
    }
    let mut out = Vec::new();
    for ep in ENDPOINTS
        .iter()
        .filter(|e| path.endpoint.is_none_or(|id| id == e.id))
    {
        for cl in ep
            .clusters
            .iter()
            .filter(|c| path.cluster.is_none_or(|id| id == c.id))
        {
            for attribute in cl
                .all_attributes()
                .filter(|a| path.attribute.is_none_or(|id| id == *a))
            {
                out.push(AttributePath::new(ep.id, cl.id, attribute));
            }
        }
    }
    out.sort();
    Expansion::Attributes(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wild(endpoint: Option<u16>, cluster: Option<u32>, attribute: Option<u32>) -> RequestPath {
        RequestPath {
            endpoint,
            cluster,
            attribute,
        }
    }

    #[test]
    fn concrete_paths_name_the_missing_level() {
        let cases = [
            (
                wild(Some(2), Some(6), Some(0)),
                ImStatus::UNSUPPORTED_ENDPOINT,
            ),
            (
                wild(Some(1), Some(0x28), Some(0)),
                ImStatus::UNSUPPORTED_CLUSTER,
            ),
            (
                wild(Some(1), Some(6), Some(0x4000)),
                ImStatus::UNSUPPORTED_ATTRIBUTE,
            ),
        ];
        for (path, want) in cases {
            match expand(&path) {
                Expansion::Status(_, status) => assert_eq!(status, want, "{path:?}"),
                Expansion::Attributes(a) => panic!("{path:?} expanded to {a:?}"),
            }
        }
        match expand(&wild(Some(1), Some(6), Some(0))) {
            Expansion::Attributes(a) => assert_eq!(a, [AttributePath::new(1, 6, 0)]),
            Expansion::Status(..) => panic!("OnOff exists"),
        }
    }

    #[test]
    fn wildcards_expand_over_what_exists() {
        // Every ClusterRevision: one per cluster instance (5 on endpoint 0, 2 on endpoint 1).
        let Expansion::Attributes(all) = expand(&wild(None, None, Some(0xfffd))) else {
            panic!("wildcard gave a status")
        };
        assert_eq!(all.len(), 7);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        // Descriptor on every endpoint: 4 + 5 globals each.
        let Expansion::Attributes(d) = expand(&wild(None, Some(0x1d), None)) else {
            panic!()
        };
        assert_eq!(d.len(), 18);
        // A wildcard that matches nothing is empty, not an error.
        let Expansion::Attributes(none) = expand(&wild(None, Some(0x28), Some(0x4000))) else {
            panic!()
        };
        assert!(none.is_empty());
        let Expansion::Attributes(none) = expand(&wild(Some(9), None, None)) else {
            panic!()
        };
        assert!(none.is_empty());
        // Everything.
        let Expansion::Attributes(every) = expand(&wild(None, None, None)) else {
            panic!()
        };
        let expected: usize = ENDPOINTS
            .iter()
            .flat_map(|e| e.clusters)
            .map(|c| c.attributes.len() + GLOBALS.len())
            .sum();
        assert_eq!(every.len(), expected);
    }
}
