// screens/trustedlist.jsx — placeholder, being written by ui-core.
export const screen = { id: 'trustedlist', route: '/trusted-list', nav: 'nav.trustedlist', public: true, visible: (me) => true, Component: ({ t }) => <p>{t('common.soon')}</p> };
