// screens/certificates.jsx — placeholder, being written by ui-core.
export const screen = { id: 'certificates', route: '/certificates', nav: 'nav.certificates', public: false, visible: (me) => !!me, Component: ({ t }) => <p>{t('common.soon')}</p> };
