// HTTP adapter for applications to the central body (responder/applications):
//   POST /api/v1/applications                {service, text?, attachments:[{name, media_type, content}]}
//                                            operators and admins of any participant -> 201
//   GET  /api/v1/applications                own applications; the central body sees all
//   GET  /api/v1/applications/{id}           one, with its history and result
//   POST /api/v1/applications/{id}/status    central-body admin: {state: in_review | approved |
//                                            rejected | completed, note?, certificate? (PEM, completed)}
// Writes reply after the durable commit (from the Writer thread).
#pragma once

#include "responder/http/router.hpp"

namespace trustmon::applications {
class ApplicationService;
}

namespace trustmon::routes {

struct ApiContext;
void add_application_routes(http::Router& router, ApiContext& ctx, applications::ApplicationService& service);

}  // namespace trustmon::routes
