// screens/status.jsx — placeholder, being written by ui-core.
export const screen = { id: 'status', route: '/status', nav: 'nav.status', public: true, visible: (me) => true, Component: ({ t }) => <p>{t('common.soon')}</p> };
