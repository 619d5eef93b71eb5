// screens/admin.jsx — placeholder; ui-admin owns this file and replaces it.
export const screen = { id: 'admin', route: '/admin', nav: 'nav.admin', public: false, visible: (me) => !!me && me.may && me.may.admin, Component: ({ t }) => <p>{t('common.soon')}</p> };
