// screens/index.js — the screen registry. The shell (app.jsx) builds navigation and routing from it.
//
// Each screen module exports
//   export const screen = {
//     id: 'admin',                 // unique, also used in data-screen on <main>
//     route: '/admin',             // hash route; ':name' segments become params ('/certificates/:sha256')
//     nav: 'nav.admin',            // i18n key of the navigation label, or null (not in the menu)
//     public: false,               // true: usable without login; false: the login screen is shown first
//     visible: (me) => bool,       // whether the menu shows it for this ME (me is null when logged out);
//                                  // a logged-in user who opens a route not visible to them sees "not allowed"
//     Component,                   // receives { params, query, me, api, t, navigate }
//   };
//   params: route params; query: the hash's ?a=b values; me: ME from /api/v1/me (null when logged out);
//   api: lib/api.js's api (get/post/put/patch/del; throws ApiError {status, code, message});
//   t: lib/i18n.js's t('section.key', {vars}); navigate(path, query?) changes the hash route.
// Shared components for screens: ../components/index.js (Page, Button, Field, Table, Confirm,
// Empty, ErrorBox, Notice, Spinner, Progress, StatusBadge, Time, Tabs, useAsync).
// A certificate holder (me.as === 'holder', lib/session.js isHolder) sees the public screens and
// the holder's own (my certificates, renewals, revocation requests); the representatives' screens
// are not visible to them. "Приєднання" (joining.jsx) is public: an organisation files its signed
// application there without an account; the central body's queue is joining_queue.jsx.
// The order below is the menu order.
import { screen as status } from './status.jsx';
import { screen as trustedlist } from './trustedlist.jsx';
import { screen as downloads } from './downloads.jsx';
import { screen as stats } from './stats.jsx';
import { screen as certificates } from './certificates.jsx';
import { screen as certificate } from './certificate.jsx';
import { screen as watches } from './watches.jsx';
import { screen as csr } from './csr.jsx';
import { screen as tlWork } from './tl_work.jsx';
import { screen as testbed } from './testbed.jsx';
import { screen as admin } from './admin.jsx';
import { screen as login } from './login.jsx';
import { screen as holder } from './holder.jsx';
import { requestScreens } from './requests.jsx';
import { screen as joining } from './joining.jsx';
import { joiningQueueScreens } from './joining_queue.jsx';

const [myRenewals, myRevocations, requests, renewal, revocationRequest] = requestScreens;
const [joiningQueue, joiningApplication] = joiningQueueScreens;

export const screens = [status, trustedlist, downloads, stats, joining, holder, myRenewals, myRevocations, certificates, certificate, watches,
  csr, requests, renewal, revocationRequest, tlWork, joiningQueue, joiningApplication, testbed, admin, login]
  .filter(Boolean);
