// screens/login.jsx — placeholder, being written by ui-core.
export const screen = { id: 'login', route: '/login', nav: null, public: true, visible: (me) => !me, Component: ({ t }) => <p>{t('common.soon')}</p> };
