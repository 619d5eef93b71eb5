// screens/csr.jsx — placeholder, being written by ui-core.
export const screen = { id: 'csr', route: '/csr', nav: 'nav.csr', public: false, visible: (me) => !!me, Component: ({ t }) => <p>{t('common.soon')}</p> };
