// screens/testbed.jsx — placeholder; ui-admin owns this file and replaces it.
export const screen = { id: 'testbed', route: '/testbed', nav: 'nav.testbed', public: false, visible: (me) => !!me, Component: ({ t }) => <p>{t('common.soon')}</p> };
