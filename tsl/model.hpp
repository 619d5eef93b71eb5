// The trusted list (ETSI TS 119 612) as data: scheme information, trust service
// providers, their services and service history. This is what the store keeps, what
// change notices edit and what the writer turns into XML; XML is only an output form.
//
// Policies:
//  * Multilingual fields are ordered (lang, value) lists, kept in document order.
//  * Service type, status, qualifier and TSL type URIs are plain strings: national lists
//    use their own URIs (e.g. http://czo.gov.ua/TrstSvc/Svctype/...), so they are data.
//  * Extensions (scheme, TSP, service information) and identities we do not model
//    (ds:KeyValue, Other) keep their contents as exclusive-C14N XML fragments with the
//    Critical flag, so unknown extensions survive import -> store -> publish unchanged.
//  * An empty list means "element absent" wherever the schema requires at least one item
//    inside an optional element; std::optional is used where an empty element is legal.
//  * Times are whole UTC seconds (TS 119 612 wants UTC "Z" dateTimes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"

namespace trustmon::tsl {

struct LangString {
  std::string lang;
  std::string value;
  bool operator==(const LangString&) const = default;
};
using MultiLang = std::vector<LangString>;

struct PostalAddress {
  std::string lang;
  std::string street_address;
  std::string locality;
  std::optional<std::string> state_or_province;
  std::optional<std::string> postal_code;
  std::string country_name;
  bool operator==(const PostalAddress&) const = default;
};

struct Address {
  std::vector<PostalAddress> postal;
  MultiLang electronic;  // ElectronicAddress/URI (mailto:, https:, tel: ...)
  bool operator==(const Address&) const = default;
};

struct Extension {
  bool critical = false;
  std::string xml;  // the Extension element's children as exclusive C14N
  bool operator==(const Extension&) const = default;
};

struct DigitalId {
  enum class Kind : std::uint8_t { x509_certificate = 0, x509_subject_name = 1, x509_ski = 2, key_value = 3, other = 4 };
  Kind kind = Kind::x509_certificate;
  Bytes der;         // certificate DER (x509_certificate) or SKI bytes (x509_ski)
  std::string text;  // subject name; C14N of ds:KeyValue (key_value); children of Other (other)
  bool operator==(const DigitalId&) const = default;
};
using DigitalIdentity = std::vector<DigitalId>;  // one ServiceDigitalIdentity element

struct AdditionalInformation {
  enum class Kind : std::uint8_t { textual = 0, other = 1 };
  Kind kind = Kind::textual;
  std::string lang;   // TextualInformation only
  std::string value;  // text, or the children of OtherInformation as C14N
  bool operator==(const AdditionalInformation&) const = default;
};

struct OtherTslPointer {
  std::vector<DigitalIdentity> digital_identities;  // ServiceDigitalIdentities
  std::string location;                             // TSLLocation
  std::vector<AdditionalInformation> additional_information;
  bool operator==(const OtherTslPointer&) const = default;
};

struct PolicyOrLegalNotice {
  MultiLang policies;       // TSLPolicy URIs
  MultiLang legal_notices;  // TSLLegalNotice texts (the schema allows one kind only)
  bool operator==(const PolicyOrLegalNotice&) const = default;
};

struct SchemeInformation {
  int version = 6;                    // TSLVersionIdentifier as read (the writer decides what it emits)
  std::uint64_t sequence_number = 1;  // TSLSequenceNumber
  std::string tsl_type;
  MultiLang operator_name;
  Address operator_address;
  MultiLang scheme_name;
  MultiLang information_uri;
  std::string status_determination_approach;
  MultiLang type_community_rules;
  std::optional<std::string> territory;
  PolicyOrLegalNotice policy_or_legal_notice;
  std::uint64_t historical_information_period = 65535;
  std::vector<OtherTslPointer> pointers;
  UnixTime list_issue_date_time = 0;
  std::optional<UnixTime> next_update;  // nullopt: the scheme is closed (empty NextUpdate)
  std::vector<std::string> distribution_points;
  std::vector<Extension> extensions;
  bool operator==(const SchemeInformation&) const = default;
};

struct SupplyPoint {
  std::string uri;
  std::string type;  // TS 119 612 v2.2.1+ `type` attribute (TL v6 only); "" = absent
  bool operator==(const SupplyPoint&) const = default;
};

struct ServiceHistoryInstance {
  std::string type_identifier;
  MultiLang name;
  DigitalIdentity digital_identity;
  std::string status;
  UnixTime status_starting_time = 0;
  std::vector<Extension> extensions;
  bool operator==(const ServiceHistoryInstance&) const = default;
};

struct TrustService {
  std::string type_identifier;
  MultiLang name;
  DigitalIdentity digital_identity;
  std::string status;
  UnixTime status_starting_time = 0;
  MultiLang scheme_service_definition_uri;
  std::vector<SupplyPoint> supply_points;
  MultiLang tsp_service_definition_uri;
  std::vector<Extension> extensions;
  std::optional<std::vector<ServiceHistoryInstance>> history;  // ServiceHistory may be empty
  bool operator==(const TrustService&) const = default;
};

struct TrustServiceProvider {
  MultiLang name;
  MultiLang trade_name;
  Address address;
  MultiLang information_uri;
  std::vector<Extension> extensions;  // TSPInformationExtensions
  std::vector<TrustService> services;
  bool operator==(const TrustServiceProvider&) const = default;
};

struct TrustedList {
  std::string id;  // Id attribute of TrustServiceStatusList ("" = absent)
  SchemeInformation scheme;
  std::vector<TrustServiceProvider> providers;
  bool operator==(const TrustedList&) const = default;
};

// Services over all providers (history instances not counted).
std::size_t service_count(const TrustedList& list);

// Well-known URIs (TS 119 612 clause 5.5.1 and annex D); lists may use others.
inline constexpr const char* kSvcTypeCaQc = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC";
inline constexpr const char* kSvcTypeCaPkc = "http://uri.etsi.org/TrstSvc/Svctype/CA/PKC";
inline constexpr const char* kSvcTypeNationalRootCaQc = "http://uri.etsi.org/TrstSvc/Svctype/NationalRootCA-QC";
inline constexpr const char* kSvcStatusGranted = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted";
inline constexpr const char* kSupplyPointOcspQc = "http://uri.etsi.org/TrstSvc/Svctype/Certstatus/OCSP/QC";
inline constexpr const char* kSupplyPointCrlQc = "http://uri.etsi.org/TrstSvc/Svctype/Certstatus/CRL/QC";

}  // namespace trustmon::tsl
