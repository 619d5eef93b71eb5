// screens/certificate.jsx — placeholder, being written by ui-core.
export const screen = { id: 'certificate', route: '/certificates/:sha256', nav: null, public: false, visible: (me) => !!me, Component: ({ t }) => <p>{t('common.soon')}</p> };
